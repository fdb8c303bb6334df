import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { findCredential, findCredentialInArgs, findCredentialsInText, type CredentialFinding } from "../../components/config/credentials";
import { SECRET_ENV_LABEL, SECRET_FILES_LABEL } from "../../components/container/defaults";
import { Reader, UNKNOWN } from "../lib/check";
import { exceptionsProperty, matches, who, withDefaults, type Exception } from "../lib/config";
import { cis, type McpPolicy } from "../lib/meta";
import { SERVICE_CONFIG } from "../lib/stack";
import { envParts, field, labels, list, text, workloadOf, type Workload } from "../lib/workload";

// Where a credential can sit in plain sight on a workload: its plain environment, its labels, its command
// line and healthcheck, and the files it is given (Swarm configs are plain files too; docker.Secret is not).
// Secret values reach policies unwrapped and unmarked (pulumi/pulumi-policy#241): a container's secretEnv
// entries and secret files are the ones its dev.mcp-platform.secret-env / secret-files labels name.

const listLabel = (l: Record<string, string>, key: string) => new Set((l[key] ?? "").split(",").filter(Boolean));

function commandLines(w: Workload): { where: string; words: string[] }[] {
  const c = field(w.props, "taskSpec", "containerSpec");
  const out =
    w.kind === "container"
      ? [
          { where: "entrypoint", words: list(w.props.entrypoints) },
          { where: "command", words: list(w.props.command) },
          { where: "healthcheck", words: list(field(w.props.healthcheck, "tests")) },
        ]
      : [
          { where: "command", words: [...list(field(c, "commands")), ...list(field(c, "args"))] },
          { where: "healthcheck", words: list(field(c, "healthcheck", "tests")) },
        ];
  return out.map((x) => ({ where: x.where, words: x.words.map(text).filter((s): s is string => s !== undefined) }));
}

interface Upload {
  file?: string;
  content?: string;
  // A path on the deploying machine, read at apply: the content is not in the declaration.
  source?: string;
}
// Uploaded files other than the secret ones (whose content is Pulumi's to keep, and may be unknown until
// apply), each read on its own: a plain file whose content is unknown in a preview is "not checked".
function plainUploads(w: Workload, secret: Set<string>, read: Reader["read"]): Upload[] {
  if (w.kind !== "container") return [];
  const out: Upload[] = [];
  for (const u of list(w.props.uploads)) {
    const file = text(field(u, "file"));
    if (file && secret.has(file)) continue;
    const c = read(`content of plain file ${file ?? "?"} (computed from other resources: known only at apply)`, () => {
      const b64 = text(field(u, "contentBase64"));
      return { source: text(field(u, "source")), content: text(field(u, "content")) ?? (b64 !== undefined ? Buffer.from(b64, "base64").toString("utf8") : undefined) };
    });
    if (c !== UNKNOWN) out.push({ file, ...c });
  }
  return out;
}

const FIX = "Keep credentials out of plain declarations: give the service a secretEnv entry (or a secret file) naming a secret config key set with pulumi config set --secret, or generate it (random.RandomPassword).";

export const noPlaintextCredentials: McpPolicy = {
  name: "no-plaintext-credentials",
  description: "No credential sits in plain sight: plain env, labels, command lines, healthchecks, uploaded files and Swarm configs hold no known token format (OpenAI, Anthropic, GitHub, Google, AWS, private keys, JWTs...) and no random-looking value under a secret's name.",
  severity: "critical",
  framework: { ...cis("4.10 (secrets not stored in images or declarations)"), specification: "KICS: Passwords And Secrets; runbook: Configuration Management (environment variables)" },
  remediationSteps:
    "Move the value to a secret: services.<name>.secretEnv names a key set with `pulumi config set --secret <key> <value>` (secretFiles for a file). Pulumi then encrypts it in state and masks it in previews; on a Swarm it becomes a docker.Secret file.",
  configSchema: { properties: { exceptions: exceptionsProperty() } },
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const config = withDefaults<{ exceptions: Exception[] }>({ exceptions: [] }, args.getConfig<Partial<{ exceptions: Exception[] }>>());
    const reader = new Reader();
    const found = (subject: string, where: string, f: CredentialFinding) =>
      report(`${subject}: ${where} looks like ${f.kind} (found by ${f.by}), in plain text: anyone who reads the stack's state, a preview or docker inspect reads it. ${FIX}`);

    if (args.type === SERVICE_CONFIG) {
      const content = reader.read("data", () => {
        const raw = text(args.props.dataRaw);
        const b64 = text(args.props.data);
        return raw ?? (b64 !== undefined ? Buffer.from(b64, "base64").toString("utf8") : "");
      });
      if (content !== UNKNOWN) for (const f of findCredentialsInText(content).slice(0, 1)) found(`Swarm config ${args.name}`, "its content", f);
      return reader.finish();
    }

    const workload = workloadOf(args.type, args.props);
    if (!workload) return;
    const l = reader.read("labels", () => labels(workload));
    if (l === UNKNOWN) return reader.finish();
    if (config.exceptions.some((e) => matches(e, l))) return;
    const subject = who(l, args.name);

    // Environment: a container's plain entries (not named secret); a Swarm service's env is all plain.
    const secretEnv = workload.kind === "container" ? listLabel(l, SECRET_ENV_LABEL) : new Set<string>();
    const parts = reader.read("env", () => envParts(workload));
    if (parts !== UNKNOWN) {
      for (const [name, value] of parts.known) {
        if (secretEnv.has(name)) continue;
        const f = findCredential(value, name);
        if (f) found(subject, `env ${name}`, f);
      }
      // Entries unknown until apply are other resources' outputs: accounted for when the label names as many
      // secret entries not among the known ones (a generated password, a secret config value).
      const unaccounted = [...secretEnv].filter((n) => !parts.known.some(([k]) => k === n)).length;
      if (parts.unknown > unaccounted)
        reader.read(`env of ${args.name}: ${parts.unknown - unaccounted} entr${parts.unknown - unaccounted === 1 ? "y" : "ies"} computed from other resources and not named secret`, () =>
          list(workload.kind === "container" ? workload.props.envs : []).map(String),
        );
    }

    const ls = reader.read("labels", () => labels(workload));
    if (ls !== UNKNOWN)
      for (const [key, value] of Object.entries(ls)) {
        const f = findCredential(value, key);
        if (f) found(subject, `label ${key}`, f);
      }

    const lines = reader.read("command line", () => commandLines(workload));
    if (lines !== UNKNOWN)
      for (const { where, words } of lines) {
        const f = findCredentialInArgs(words);
        if (f) found(subject, `its ${where}`, f);
      }

    const files = reader.read("uploads", () => plainUploads(workload, listLabel(l, SECRET_FILES_LABEL), reader.read.bind(reader)));
    if (files !== UNKNOWN)
      for (const u of files) {
        if (u.source !== undefined && u.content === undefined) {
          report(`${subject}: uploaded file ${u.file ?? "?"} is read from ${u.source} on the deploying machine at apply, so nothing can check it for credentials before. Give its content in the declaration (services.<name>.files), or, if it holds a secret, as a secret file (secretFiles).`);
          continue;
        }
        const f = findCredentialsInText(u.content ?? "")[0];
        if (f) found(subject, `uploaded file ${u.file ?? "?"}`, f);
      }
    reader.finish();
  },
};
