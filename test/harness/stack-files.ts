// The repository's real stack files, as the Pulumi engine would hand their config to the program.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { pinnedConfig } from "../../components/pin";

export const ROOT = path.resolve(__dirname, "../..");
export const STACKS = ["dev", "prod"] as const;

// Prod is deployed after `npm run pin` has written a digest next to each tag (the stack file ships with
// tags: no digest of the user's builds can be known here). No registry is reachable in the tests, so
// they pin with this stand-in.
export const STAND_IN_DIGEST = `sha256:${"0".repeat(64)}`;

// `mcp-platform:key` -> string; structured values as JSON, as `pulumi up` passes them. Prod as deployed:
// pinned (pass pinned: false for the file as committed).
export function stackConfig(stack: string, opts: { pinned?: boolean } = {}): Record<string, string> {
  const raw = committedConfig(stack);
  return (opts.pinned ?? stack === "prod") ? pinnedConfig(raw, () => STAND_IN_DIGEST) : raw;
}

function committedConfig(stack: string): Record<string, string> {
  const doc = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    // Encrypted values (`secure:`) belong to one stack's passphrase; tests supply fake secrets instead.
    if (typeof value === "object" && value !== null && "secure" in value) continue;
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

// Fake values for every secret the stacks need; tests assert none of these leaks into plain state.
export const FAKE_SECRETS: Record<string, string> = {
  "mcp-platform:openaiApiKey": "sk-test-0123456789abcdef",
  "mcp-platform:gmailOauthKeys": JSON.stringify({ installed: { client_id: "test-client", client_secret: "test-oauth-secret" } }),
};

// The prod gateway's TLS pair (gateway.tls.certificate / privateKey); dev makes a self-signed one.
export const TLS_SECRETS: Record<string, string> = {
  "mcp-platform:tlsCertificate": "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n",
  "mcp-platform:tlsPrivateKey": "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n",
};

// Every secret a stack file refers to.
export const fakeSecrets = (stack: string): Record<string, string> => ({ ...FAKE_SECRETS, ...(stack === "prod" ? TLS_SECRETS : {}) });

// The prod stack switched to swarm mode: two gateways (each updates stop-first on its node while the other
// serves; the config refuses fewer on a Swarm).
export function swarmConfig(stack: string): Record<string, string> {
  const gateway = stackConfig(stack)["mcp-platform:gateway"];
  return { "mcp-platform:mode": "swarm", "mcp-platform:gateway": JSON.stringify({ ...(gateway ? (JSON.parse(gateway) as object) : {}), replicas: 2 }) };
}
