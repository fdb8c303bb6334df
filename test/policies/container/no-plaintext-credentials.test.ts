import { describe, expect, it } from "vitest";
import { noPlaintextCredentials } from "../../../policies/container/no-plaintext-credentials";
import { SERVICE_CONFIG } from "../../../policies/lib/stack";
import { UNKNOWN_STRING, runPolicy, type TestResource } from "../../harness/policy";
import { FAKE_CREDENTIALS, HARMLESS, HARMLESS_UNDER_ANY_NAME } from "../../config/fake-credentials";
import { container, expectClean, expectUndecided, expectViolations, label, service } from "../fixtures";

const BASE_LABELS = { service: "gmail", component: "mcp-server", environment: "dev" };
const withLabel = (extra: Record<string, string>) => label({ ...BASE_LABELS, ...extra });
const oneLine = FAKE_CREDENTIALS.filter((f) => !f.value.includes("\n"));

// Each place a value can sit, given the value.
const PLACES: { where: string; at: (v: string) => TestResource }[] = [
  { where: "env OPENAI_API_KEY", at: (v) => container({ envs: ["PORT=8080", `OPENAI_API_KEY=${v}`] }) },
  { where: "env API_KEY", at: (v) => service({}, { env: { MCP_SERVER_NAME: "gmail-tools", API_KEY: v } }) },
  { where: "label auth", at: (v) => container({ labels: withLabel({ auth: v }) }) },
  { where: "its command", at: (v) => container({ command: ["node", "server.js", `--token=${v}`] }) },
  { where: "its entrypoint", at: (v) => container({ entrypoints: ["sh", "-c", `API_TOKEN=${v} exec node server.js`] }) },
  { where: "its healthcheck", at: (v) => container({ healthcheck: { tests: ["CMD", "curl", "-H", `Authorization: Bearer ${v}`, "http://127.0.0.1:8080/health"] } }) },
  { where: "its command", at: (v) => service({}, { commands: ["node"], args: ["server.js", "--api-key", v] }) },
  { where: "uploaded file /app/config/settings.json", at: (v) => container({ uploads: [{ file: "/app/config/settings.json", content: JSON.stringify({ api_key: v }) }] }) },
  { where: "uploaded file /app/.env", at: (v) => container({ uploads: [{ file: "/app/.env", contentBase64: Buffer.from(`TOKEN=${v}\n`).toString("base64") }] }) },
  { where: "its content", at: (v) => ({ type: SERVICE_CONFIG, name: "gateway-conf", props: { name: "gateway-conf", data: Buffer.from(`api_key: ${v}\n`).toString("base64") } }) },
];

describe("no-plaintext-credentials", () => {
  describe.each(PLACES)("in $where", ({ where, at }) => {
    it.each(oneLine)("catches a fake $what, naming the place and never printing the value", async ({ value, kind }) => {
      const r = await runPolicy(noPlaintextCredentials, at(value));
      expectViolations(r, [where, "in plain text", "secretEnv"]);
      expect(r.violations[0]!.message).toMatch(kind);
      expect(r.violations[0]!.message).not.toContain(value);
    });
    it("leaves harmless values alone (UUIDs, digests, base64 config, URLs, paths)", async () => {
      for (const h of HARMLESS_UNDER_ANY_NAME) expectClean(await runPolicy(noPlaintextCredentials, at(h.value)));
    });
  });

  it("leaves random-looking values alone under names that say nothing secret, in env and labels", async () => {
    const envs = HARMLESS.map((h) => `${h.name}=${h.value}`);
    expectClean(await runPolicy(noPlaintextCredentials, container({ envs, labels: withLabel(Object.fromEntries(HARMLESS.map((h) => [h.name.toLowerCase(), h.value]))) })));
  });

  it("catches a private key uploaded as a plain file", async () => {
    const pem = FAKE_CREDENTIALS.find((f) => f.what === "RSA private key (PEM)")!.value;
    expectViolations(await runPolicy(noPlaintextCredentials, container({ uploads: [{ file: "/app/tls/key.pem", content: pem }] })), ["uploaded file /app/tls/key.pem looks like a private key"]);
  });

  it("passes secretEnv entries and secret files, which the container's labels name (their values are secrets in state)", async () => {
    const key = FAKE_CREDENTIALS.find((f) => f.what === "OpenAI project key")!.value;
    const oauth = JSON.stringify({ installed: { client_secret: FAKE_CREDENTIALS.find((f) => f.what === "Google OAuth client secret")!.value } });
    const c = container({
      envs: [`OPENAI_API_KEY=${key}`, "PORT=8080"],
      labels: withLabel({ "dev.mcp-platform.secret-env": "OPENAI_API_KEY", "dev.mcp-platform.secret-files": "/app/config/gcp-oauth.keys.json" }),
      uploads: [{ file: "/app/config/gcp-oauth.keys.json", content: oauth, permissions: "0400" }],
    });
    expectClean(await runPolicy(noPlaintextCredentials, c));
    // The same key under a name the label does not list is plain.
    expectViolations(await runPolicy(noPlaintextCredentials, { ...c, props: { ...c.props, envs: [`OPENAI_API_KEY=${key}`, `OPENAI_KEY_COPY=${key}`] } }), ["env OPENAI_KEY_COPY looks like an OpenAI API key"]);
  });

  it("in a preview, accounts for entries unknown until apply by the secret names the label declares", async () => {
    const neo4j = container({ envs: [UNKNOWN_STRING, "NEO4J_PLUGINS=[\"apoc\"]"], labels: withLabel({ "dev.mcp-platform.secret-env": "NEO4J_AUTH" }) });
    expectClean(await runPolicy(noPlaintextCredentials, neo4j));
    // A secret file's content may be unknown too: it is not read.
    expectClean(await runPolicy(noPlaintextCredentials, container({ uploads: [{ file: "/s/key", content: UNKNOWN_STRING }], labels: withLabel({ "dev.mcp-platform.secret-files": "/s/key" }) })));
  });

  it("can't decide on an unknown entry no label declares secret, nor on a plain file whose content is unknown", async () => {
    expectUndecided(await runPolicy(noPlaintextCredentials, container({ envs: [UNKNOWN_STRING, "PORT=8080"] })), "env of gmail-1: 1 entry computed from other resources and not named secret");
    expectUndecided(await runPolicy(noPlaintextCredentials, container({ uploads: [{ file: "/app/conf.json", content: UNKNOWN_STRING }] })), "uploads");
  });

  it("honours an exception with a reason, and only for that service", async () => {
    const key = FAKE_CREDENTIALS.find((f) => f.what === "GitHub classic token")!.value;
    const exceptions = [{ service: "gmail", reason: "a public read-only demo token, revoked weekly (ticket SEC-12)" }];
    expectClean(await runPolicy(noPlaintextCredentials, container({ envs: [`GITHUB_TOKEN=${key}`] }), { exceptions }));
    expectViolations(await runPolicy(noPlaintextCredentials, container({ envs: [`GITHUB_TOKEN=${key}`] }), { exceptions: [{ service: "gmail" }] }), ["GITHUB_TOKEN"]);
  });
});

describe("no-plaintext-credentials: files the declaration does not hold", () => {
  it("refuses a plain upload read from the deploying machine (uploads.source), which nothing can check before apply", async () => {
    expectViolations(await runPolicy(noPlaintextCredentials, container({ uploads: [{ file: "/app/config/keys.json", source: "./keys.json" }] })), ["is read from ./keys.json on the deploying machine", "secretFiles"]);
  });
});
