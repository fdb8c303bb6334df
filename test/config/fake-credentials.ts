// FAKE credentials in the real formats, for the detector's tests. None is a real key: each is assembled at
// run time from a repeated pattern (so no token sits in the source for a scanner to trip on), and the
// formats' own markers (OpenAI's T3BlbkFJ, Anthropic's trailing AA, a PEM body's ASN.1 or openssh-key-v1
// header) are the only real parts.
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// n characters from `chars`, spread so the value is not one repeated letter (formats allow any of them).
export const fill = (n: number, chars = ALNUM) => Array.from({ length: n }, (_, i) => chars[(i * 7 + 3) % chars.length]).join("");
const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export interface FakeCredential {
  what: string;
  value: string;
  // The kind the detector names.
  kind: RegExp;
}

export const FAKE_CREDENTIALS: FakeCredential[] = [
  { what: "OpenAI project key", value: `sk-proj-${fill(74)}${"T3Blbk" + "FJ"}${fill(74)}`, kind: /OpenAI/ },
  { what: "OpenAI legacy key", value: `sk-${fill(20)}${"T3Blbk" + "FJ"}${fill(20)}`, kind: /OpenAI/ },
  { what: "Anthropic key", value: `sk-ant-api03-${fill(93, `${ALNUM}-_`)}AA`, kind: /Anthropic/ },
  { what: "GitHub classic token", value: `ghp_${fill(36)}`, kind: /GitHub/ },
  { what: "GitHub fine-grained token", value: `github_pat_${fill(22)}_${fill(59)}`, kind: /GitHub/ },
  { what: "Google OAuth client secret", value: `GOCSPX-${fill(28)}`, kind: /Google OAuth client secret/ },
  { what: "Google API key", value: `AIza${fill(35)}`, kind: /Google API key/ },
  { what: "AWS access key ID", value: `AKIA${fill(16, UPPER_DIGITS)}`, kind: /AWS/ },
  {
    what: "AWS secret access key (with its name)",
    value: `aws_secret_access_key=${fill(40, `${ALNUM}/+`)}`,
    kind: /AWS/,
  },
  {
    what: "RSA private key (PEM)",
    value: `-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA${fill(48, `${ALNUM}+/`)}\n${fill(64, `${ALNUM}+/`)}\n-----END RSA PRIVATE KEY-----`,
    kind: /private key/,
  },
  {
    what: "OpenSSH private key (PEM)",
    value: `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${fill(46, `${ALNUM}+/`)}\n${fill(70, `${ALNUM}+/`)}\n-----END OPENSSH PRIVATE KEY-----`,
    kind: /private key/,
  },
  {
    what: "JWT",
    value: `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url")}.${Buffer.from('{"sub":"fake-user","iat":1700000000}').toString("base64url")}.${fill(43, `${ALNUM}-_`)}`,
    kind: /JSON Web Token/,
  },
  { what: "Slack bot token", value: `xoxb-${"1234567890"}-${"1234567890123"}-${fill(24)}`, kind: /Slack/ },
  { what: "URL with a password", value: `https://admin:${fill(12)}@db.example.com/`, kind: /user and password|connection string/ },
];

// Values the detector must leave alone under their names. All but the last three are harmless under any
// name (IDs, digests, URLs, paths, base64 config); those three only where the name says nothing secret.
export const HARMLESS: { name: string; value: string }[] = [
  { name: "REQUEST_ID", value: "123e4567-e89b-12d3-a456-426614174000" },
  { name: "API_KEY", value: "123e4567-e89b-12d3-a456-426614174000" },
  { name: "IMAGE_DIGEST", value: `sha256:${"0f1e2d3c4b5a6978".repeat(4)}` },
  { name: "AUTH_TOKEN_URL", value: "https://oauth2.googleapis.com/token" },
  { name: "HEALTH_URL", value: "http://127.0.0.1:8080/health" },
  { name: "CONFIG_B64", value: Buffer.from(JSON.stringify({ logLevel: "info", features: ["a", "b"], retries: 3 })).toString("base64") },
  { name: "SECRET_FILE", value: "/run/secrets/neo4j-neo4j-auth" },
  { name: "MCP_PLATFORM_SECRET_ENV", value: "NEO4J_AUTH=/run/secrets/neo4j-neo4j-auth OPENAI_API_KEY=/run/secrets/graphiti-openai-api-key" },
  { name: "NODE_OPTIONS", value: "--max-old-space-size=192" },
  { name: "NEO4J_URI", value: "bolt://neo4j:7687" },
  { name: "EMBEDDING_MODEL", value: "text-embedding-ada-002" },
  { name: "TOKEN_LIMIT", value: "4096" },
  { name: "PASSWORD_MIN_LENGTH", value: "16" },
  { name: "KEYBOARD", value: "Zq8x1Lr4Vb7Nc0KwPp3Tt6" },
  { name: "GIT_SHA", value: "9fceb02d0ae598e95dc970b74767f19372d61af8" },
  { name: "BUILD_ID", value: "b7Xk2pQ9rT4mW8zL1vN6cY3h" },
];
export const HARMLESS_UNDER_ANY_NAME = HARMLESS.slice(0, -3);
