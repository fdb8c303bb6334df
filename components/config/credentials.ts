// Does a value look like a credential? One detector for the config loader (plain `env` is refused) and the
// policy pack (plain env, labels, commands and file contents are reported).
//
// Known token formats come from secretlint's recommended preset (@secretlint/secretlint-rule-preset-recommend:
// AWS, GCP service-account keys, npm, Slack, basic auth in URLs, OpenAI, Anthropic, Linear, private keys,
// SendGrid, Shopify, GitHub, 1Password, database connection strings), driven here through secretlint's rule
// API (create(context) -> file(source)), which is synchronous for text: the config loader runs before any
// resource is declared and cannot wait for a promise. Formats the preset lacks are added below (Google OAuth
// client secrets, Google API keys, JWTs), and so is a high-entropy check for values under names that say they
// hold a secret.
import { rules as secretlintRules } from "@secretlint/secretlint-rule-preset-recommend";
import type { SecretLintRuleContext, SecretLintRuleCreator, SecretLintSourceCode } from "@secretlint/types";
import type { PlatformConfig } from "./schema";

export interface CredentialFinding {
  // What it looks like, for messages: "an OpenAI API key", "a private key".
  kind: string;
  // Which detector said so: a secretlint rule id, "format" or "entropy".
  by: string;
}

// Names that say a value is a credential: a whole `_`/`-`/`.`-separated word of the name.
const SECRET_WORDS = new Set([
  "PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "SECRETS", "TOKEN", "KEY", "APIKEY", "AUTH", "CREDENTIAL", "CREDENTIALS", "PRIVATE",
  "CLIENTSECRET", "ACCESSKEY", "PASSPHRASE",
]);
// Suffixes that name something about a secret, not the secret: a path to it, its user, its length...
const NOT_THE_SECRET = /(_|-|\.)(FILES?|PATHS?|DIR|URL|URI|HOST|PORT|USER|USERNAME|NAMES?|MODEL|ENABLED|TIMEOUT|SIZE|LENGTH|ENV|ID|TYPE|HEADER)$/i;

export function looksSecretName(name: string): boolean {
  if (NOT_THE_SECRET.test(name)) return false;
  return name.toUpperCase().split(/[_.\-\s]+/).some((w) => SECRET_WORDS.has(w));
}

// The preset's own messages name what matched; these say it in a sentence.
const KINDS: Record<string, string> = {
  "@secretlint/secretlint-rule-aws": "an AWS access key",
  "@secretlint/secretlint-rule-gcp": "a Google Cloud service-account key",
  "@secretlint/secretlint-rule-npm": "an npm token",
  "@secretlint/secretlint-rule-slack": "a Slack token",
  "@secretlint/secretlint-rule-basicauth": "a URL with a user and password",
  "@secretlint/secretlint-rule-openai": "an OpenAI API key",
  "@secretlint/secretlint-rule-anthropic": "an Anthropic API key",
  "@secretlint/secretlint-rule-linear": "a Linear API key",
  "@secretlint/secretlint-rule-privatekey": "a private key",
  "@secretlint/secretlint-rule-sendgrid": "a SendGrid API key",
  "@secretlint/secretlint-rule-shopify": "a Shopify token",
  "@secretlint/secretlint-rule-github": "a GitHub token",
  "@secretlint/secretlint-rule-1password": "a 1Password service-account token",
  "@secretlint/secretlint-rule-database-connection-string": "a database connection string with a password",
};

// Options for the preset's rules: AWS access key IDs are off by default in secretlint (an ID alone is half a
// credential); a key ID in a container's plain environment is still one half too many.
const RULE_OPTIONS: Record<string, object> = { "@secretlint/secretlint-rule-aws": { enableIDScanRule: true } };

// Only scanners (the preset's comment filter reads secretlint-disable comments, which values don't have).
const SCANNERS = (secretlintRules as unknown as SecretLintRuleCreator<object>[]).filter((r) => r.meta.type === "scanner" && r.meta.supportedContentTypes.includes("text"));

function source(content: string): SecretLintSourceCode {
  // Rules read `content` and, for file-type checks, the path: values have none.
  return {
    hasBOM: false,
    content,
    filePath: undefined,
    physicalFilePath: undefined,
    contentType: "text",
    ext: "",
    getFilePath: () => undefined,
    getPhysicalFilePath: () => undefined,
    locationToRange: () => [0, content.length],
    rangeToLocation: () => ({ start: { line: 1, column: 0 }, end: { line: 1, column: content.length } }),
    positionToIndex: () => 0,
    indexToPosition: () => ({ line: 1, column: 0 }),
  };
}

// Each rule is created once, reporting into whichever list is being filled: a scan is then one pass of
// each rule's patterns over the text.
let reports: CredentialFinding[] = [];
const HANDLERS = SCANNERS.map((rule) => {
  const context: SecretLintRuleContext = {
    sharedOptions: {},
    createTranslator: (messages) => (messageId, props) => ({ messageId: String(messageId), data: props, message: messages[messageId as string]?.en(props) ?? String(messageId) }),
    report: () => reports.push({ kind: KINDS[rule.meta.id] ?? `a credential (${rule.meta.id})`, by: rule.meta.id }),
    ignore: () => undefined,
  };
  return rule.create(context, RULE_OPTIONS[rule.meta.id] ?? {});
});

function secretlintFindings(text: string): CredentialFinding[] {
  const src = source(text);
  const out: CredentialFinding[] = [];
  reports = out;
  try {
    // Every text scanner of the preset is synchronous; a promise here would be a PKCS#12 file check, which
    // needs a file on disk and never applies to a value.
    for (const handler of HANDLERS) void handler.file?.(src);
  } finally {
    reports = [];
  }
  return out;
}

// Formats secretlint's preset does not know.
const FORMATS: { kind: string; re: RegExp }[] = [
  // Google OAuth 2.0 client secrets since 2021 (the `client_secret` of a gcp-oauth.keys.json).
  { kind: "a Google OAuth client secret", re: /\bGOCSPX-[A-Za-z0-9_-]{28}\b/ },
  { kind: "a Google API key", re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  // A signed JWT: base64url JSON header naming an algorithm, a payload and a signature.
  { kind: "a JSON Web Token", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}/ },
];

function formatFindings(text: string): CredentialFinding[] {
  return FORMATS.filter((f) => f.re.test(text)).map((f) => ({ kind: f.kind, by: "format" }));
}

// Shannon entropy in bits per character.
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGEST = /^(sha256|sha384|sha512):[0-9a-f]{32,}$/i;

// Values that are plainly something else: IDs, digests, paths, URLs, lists, flags, file names, identifiers
// (text-embedding-ada-002: words and numbers), and base64 that decodes to structured text (config).
function plainlySomethingElse(v: string): boolean {
  if (UUID.test(v) || DIGEST.test(v)) return true;
  if (v.startsWith("/") || v.includes("://") || v.includes("=/") || /^[\w.-]+(,[\w.-]+)+$/.test(v)) return true;
  if (/^--?[A-Za-z][\w-]*(=\S*)?$/.test(v)) return true;
  if (/^[A-Za-z][\w-]*(\.[A-Za-z][\w-]*)*\.(json|ya?ml|conf|cfg|ini|toml|txt|pem|crt|key|sh|js|py|env)$/i.test(v)) return true;
  if (/^[A-Za-z0-9]+([._-][A-Za-z0-9]+)+$/.test(v) && v.split(/[._-]/).every((part) => /^[A-Za-z]+$|^[0-9]+$/.test(part))) return true;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0) {
    const text = Buffer.from(v, "base64").toString("utf8");
    if (/^[\x20-\x7e\s]+$/.test(text) && /[{[:=]/.test(text) && /\s|"/.test(text)) return true;
  }
  return false;
}

// A value that reads like a generated secret: one token of 16 or more characters mixing character classes
// with high entropy, and plainly nothing else.
export function looksRandom(value: string): boolean {
  const v = value.trim();
  if (v.length < 16 || /\s/.test(v) || plainlySomethingElse(v)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(v)).length;
  return classes >= 2 && entropy(v) >= 3.5;
}

// The secret part of a value such as NEO4J_AUTH=neo4j/<password> or user:<password>.
const secretPart = (value: string) => value.split(/[/:]/).pop() ?? value;

// One value, with the name it sits under (an env variable, a label, a --flag) when it has one.
export function findCredential(value: string, name?: string): CredentialFinding | undefined {
  const found = [...secretlintFindings(value), ...formatFindings(value)];
  if (found.length) return found[0];
  if (name && looksSecretName(name) && !plainlySomethingElse(value.trim()) && (looksRandom(value) || looksRandom(secretPart(value))))
    return { kind: `a high-entropy value under a secret's name (${name})`, by: "entropy" };
  return undefined;
}

// Name/value pairs inside a file: KEY=value, key: value, "key": "value".
const PAIR = /(?:^|[\s{,;])["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*[:=][ \t]*["']?([^\s"',;}]+)/gm;

// A file's content: token formats anywhere, and high-entropy values under secret-looking keys.
export function findCredentialsInText(text: string): CredentialFinding[] {
  const found = [...secretlintFindings(text), ...formatFindings(text)];
  for (const m of text.matchAll(PAIR)) {
    const [, key, value] = m;
    if (key && value && looksSecretName(key) && looksRandom(value)) found.push({ kind: `a high-entropy value under a secret's name (${key})`, by: "entropy" });
  }
  return found;
}

// Command-line words: `--api-key=<v>`, `--token <v>`, `NAME=<v>`, or a bare token in a known format.
export function findCredentialInArgs(args: string[]): CredentialFinding | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = /^-{0,2}([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/s.exec(a);
    const flag = /^--?([A-Za-z][A-Za-z0-9_.-]*)$/.exec(a);
    const found = eq ? findCredential(eq[2]!, eq[1]) : flag && args[i + 1] !== undefined && looksSecretName(flag[1]!) ? findCredential(args[i + 1]!, flag[1]) : findCredential(a);
    if (found) return found;
  }
  return undefined;
}

// The config loader's check: credentials written as plain `env` values. Secrets belong in `secretEnv`, which
// names a secret config key; the message says how to move one there.
export interface CredentialProblem {
  path: string;
  message: string;
}

export function plainEnvCredentialProblems(envs: { path: string; secretEnvPath?: string; env: Record<string, string> }[]): CredentialProblem[] {
  const out: CredentialProblem[] = [];
  for (const { path, secretEnvPath, env } of envs)
    for (const [name, value] of Object.entries(env)) {
      const found = findCredential(value, name);
      if (!found) continue;
      const key = name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      out.push({
        path: `${path}.${name}`,
        message:
          `looks like ${found.kind}: a credential in plain env is stored and shown in clear text. ` +
          (secretEnvPath
            ? `Remove it from env, store it with pulumi config set --secret ${key} <value>, and refer to it as ${secretEnvPath}.${name}: ${key}`
            : `Remove it from env (this service takes no secretEnv)`),
      });
    }
  return out;
}

// Every plain env map of the stack's settings.
export function credentialProblems(config: PlatformConfig): CredentialProblem[] {
  return plainEnvCredentialProblems([
    ...Object.entries(config.services).map(([name, s]) => ({ path: `services.${name}.env`, secretEnvPath: `services.${name}.secretEnv`, env: s.env })),
    ...Object.entries(config.dataServices).map(([name, d]) => ({ path: `dataServices.${name}.env`, secretEnvPath: `dataServices.${name}.secretEnv`, env: d.env })),
    { path: "healthMonitor.env", env: config.healthMonitor.env },
  ]);
}
