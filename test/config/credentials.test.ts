import { describe, expect, it } from "vitest";
import { findCredential, findCredentialInArgs, findCredentialsInText, looksSecretName } from "../../components/config/credentials";
import { ConfigError, parseConfig } from "../../components/config/load";
import { FAKE_SECRETS, STACKS, fakeSecrets, stackConfig } from "../harness/stack-files";
import { FAKE_CREDENTIALS, HARMLESS } from "./fake-credentials";

function problems(raw: Record<string, string>, secrets: Record<string, string> = FAKE_SECRETS): string[] {
  try {
    parseConfig({ ...secrets, ...raw }, (k) => k in secrets, () => true);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("the credential detector", () => {
  it.each(FAKE_CREDENTIALS)("knows a $what by its format, under any name", ({ value, kind }) => {
    expect(findCredential(value)?.kind).toMatch(kind);
    expect(findCredential(value, "SOME_SETTING")?.kind).toMatch(kind);
  });

  it.each(HARMLESS)("leaves $name=$value alone", ({ name, value }) => {
    expect(findCredential(value, name)).toBeUndefined();
  });

  it("knows a random-looking value under a secret's name, and nowhere else", () => {
    const generated = "Zq8x1Lr4Vb7Nc0KwPp3Tt6";
    expect(findCredential(generated, "DB_PASSWORD")?.by).toBe("entropy");
    expect(findCredential(`neo4j/${generated}`, "NEO4J_AUTH")?.by).toBe("entropy");
    expect(findCredential(generated, "CACHE_DIR")).toBeUndefined();
    expect(findCredential("correct horse battery staple", "DB_PASSWORD")).toBeUndefined();
  });

  it("reads names as words: KEY is a secret's word, KEYBOARD and MONKEY are not; _FILE, _URL, _USER name something else", () => {
    expect(["OPENAI_API_KEY", "NEO4J_AUTH", "GITHUB_TOKEN", "client_secret", "db.password", "api-key"].filter(looksSecretName)).toHaveLength(6);
    expect(["KEYBOARD", "MONKEY", "SECRET_FILE", "AUTH_URL", "NEO4J_USER", "TOKEN_LIMIT".replace("LIMIT", "SIZE")].filter(looksSecretName)).toEqual([]);
  });

  it("finds credentials in command lines: --flag=value, --flag value, NAME=value and bare tokens", () => {
    const key = FAKE_CREDENTIALS.find((f) => f.what === "GitHub classic token")!.value;
    expect(findCredentialInArgs(["node", "server.js", `--token=${key}`])?.kind).toMatch(/GitHub/);
    expect(findCredentialInArgs(["cli", "--password", "Zq8x1Lr4Vb7Nc0KwPp3Tt6"])?.by).toBe("entropy");
    expect(findCredentialInArgs(["sh", "-c", `curl -H "Authorization: token ${key}" https://api.example.com`])?.kind).toMatch(/GitHub/);
    expect(findCredentialInArgs(["node", "dist/server-http.js", "--port", "8080", "--max-old-space-size=192"])).toBeUndefined();
  });

  it("finds credentials in file contents: formats anywhere, random values under secret keys in JSON, YAML and .env", () => {
    const secret = FAKE_CREDENTIALS.find((f) => f.what === "Google OAuth client secret")!.value;
    expect(findCredentialsInText(JSON.stringify({ installed: { client_id: "x.apps.googleusercontent.com", client_secret: secret } })).map((f) => f.kind)).toContain("a Google OAuth client secret");
    expect(findCredentialsInText('{"api_key": "Zq8x1Lr4Vb7Nc0KwPp3Tt6"}')).toHaveLength(1);
    expect(findCredentialsInText("db:\n  password: Zq8x1Lr4Vb7Nc0KwPp3Tt6\n")).toHaveLength(1);
    expect(findCredentialsInText("SESSION_SECRET=Zq8x1Lr4Vb7Nc0KwPp3Tt6\n")).toHaveLength(1);
    expect(findCredentialsInText("worker_processes auto;\nlimit_req_zone $binary_remote_addr zone=gmail:10m rate=100r/m;\n")).toEqual([]);
  });
});

describe("the config loader refuses credentials in plain env", () => {
  it.each(FAKE_CREDENTIALS.filter((f) => !f.value.includes("\n")))("refuses a $what in services.<name>.env, pointing at secretEnv", ({ value }) => {
    const p = problems({ "mcp-platform:services": JSON.stringify({ rag: { env: { OPENAI_API_KEY: value } } }) });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^mcp-platform:services\.rag\.env\.OPENAI_API_KEY looks like /);
    expect(p[0]).toContain("pulumi config set --secret openaiApiKey <value>");
    expect(p[0]).toContain("services.rag.secretEnv.OPENAI_API_KEY: openaiApiKey");
  });

  it("refuses a random-looking password under a secret's name in a data service's and the monitor's env", () => {
    const p = problems({
      "mcp-platform:healthMonitor": JSON.stringify({ env: { ALERT_WEBHOOK_TOKEN: "Zq8x1Lr4Vb7Nc0KwPp3Tt6" } }),
    });
    expect(p).toEqual([expect.stringMatching(/^mcp-platform:healthMonitor\.env\.ALERT_WEBHOOK_TOKEN looks like a high-entropy value .* Remove it from env \(this service takes no secretEnv\)/)]);
  });

  it("accepts harmless values, even under secret-sounding names", () => {
    const env = Object.fromEntries(HARMLESS.map((h) => [h.name, h.value]));
    expect(problems({ "mcp-platform:services": JSON.stringify({ rag: { env } }) })).toEqual([]);
  });

  it.each(STACKS)("accepts the %s stack file as committed", (stack) => {
    expect(problems(stackConfig(stack), fakeSecrets(stack))).toEqual([]);
  });
});
