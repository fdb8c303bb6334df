import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { runbook } from "../lib/meta";
import { env } from "../lib/workload";

// Names that hold credentials: a whole `_`-separated word of the name.
const SECRET_WORDS = ["PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "TOKEN", "KEY", "APIKEY", "AUTH", "CREDENTIAL", "CREDENTIALS", "PRIVATE"];
// Published defaults and placeholders: the runbook's demodemo, Neo4j's own neo4j, the usual suspects.
export const KNOWN_WEAK = [
  "demodemo", "neo4j", "password", "passw0rd", "changeme", "change_me", "admin", "root", "secret", "test", "default",
  "123456", "12345678", "qwerty", "letmein", "example", "your_openai_key", "your_api_key",
];

export function looksSecret(name: string): boolean {
  if (/_(FILE|PATH|DIR|URL|URI|HOST|PORT|USER|USERNAME|NAME|MODEL|ENABLED|TIMEOUT|SIZE)$/i.test(name)) return false;
  return name.toUpperCase().split(/_+/).some((w) => SECRET_WORDS.includes(w));
}

// The secret part of a value: NEO4J_AUTH=neo4j/<password>, user:password.
const secretPart = (value: string) => value.split(/[/:]/).pop() ?? value;

export function weakness(value: string, extra: string[], minLength: number): string | undefined {
  const v = secretPart(value).trim();
  const list = [...KNOWN_WEAK, ...extra].map((w) => w.toLowerCase());
  if (!v) return "is empty";
  if (list.includes(v.toLowerCase()) || list.includes(value.toLowerCase())) return "is a published default or placeholder";
  if (/^(your|change|replace|example|xxx|todo)/i.test(v)) return "is a placeholder";
  if (v.length < minLength) return `is shorter than ${minLength} characters`;
  if (/^(.)\1*$/.test(v)) return "repeats one character";
  return undefined;
}

export const secretEnvValues = workloadPolicy<{ weakValues: string[]; minLength: number; exceptions: Exception[] }>({
  name: "secret-env-values",
  description: "Environment entries named like credentials (PASSWORD, SECRET, TOKEN, KEY, AUTH…) never hold a default, placeholder or weak value.",
  severity: "critical",
  framework: runbook("Configuration Management: environment variables (NEO4J_PASSWORD=demodemo)", "KICS: passwords and secrets in infrastructure code"),
  remediationSteps:
    "Generate the value (random.RandomPassword) or set it with `pulumi config set --secret <key>` and refer to it from secretEnv; never write it in the stack file or the program.",
  configSchema: {
    weakValues: { type: "array", items: { type: "string" } },
    minLength: { type: "integer", minimum: 1 },
    exceptions: exceptionsProperty(),
  },
  defaults: { weakValues: [], minLength: 12, exceptions: [] },
  check({ workload, read, violation, subject, config }) {
    const entries = read("env", () => env(workload));
    if (entries === UNKNOWN) return;
    for (const [name, value] of entries) {
      if (!looksSecret(name)) continue;
      const problem = weakness(value, config.weakValues, config.minLength);
      if (problem)
        violation(`${subject}: ${name} ${problem}. Generate it (random.RandomPassword) or set it with pulumi config set --secret and refer to it from secretEnv.`);
    }
  },
});
