// Config mistakes as a user makes them: every problem in one round, YAML shape mistakes in words, and
// presets that can be turned off (their stored secrets ignored with a notice) or left out altogether.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, parseConfig, type LoadedConfig } from "../../components/config/load";
import { FAKE_SECRETS } from "../harness/stack-files";

const secretKeys = new Set(Object.keys(FAKE_SECRETS));
const always = () => true;

function load(raw: Record<string, string>, secrets: Record<string, string> = FAKE_SECRETS): LoadedConfig | string[] {
  const keys = new Set([...secretKeys, ...Object.keys(secrets)]);
  try {
    return parseConfig({ ...secrets, ...raw }, (k) => keys.has(k), always);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}
const problems = (raw: Record<string, string>, secrets?: Record<string, string>): string[] => {
  const r = load(raw, secrets);
  return Array.isArray(r) ? r : [];
};

// A stack file as the user writes it, turned into what `pulumi up` hands the program (objects as JSON).
function fromYaml(text: string): Record<string, string> {
  const doc = parse(text) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

describe("config errors come in one round", () => {
  it("reports a shape mistake, a bad value, a missing secret, a cross-setting clash and a missing build context together", () => {
    const raw = {
      "mcp-platform:neo4j": "4096",
      "mcp-platform:services": JSON.stringify({ graphiti: { memoryMb: "lots" }, rag: { publishedPort: 8080 } }),
      "mcp-platform:backup": JSON.stringify({ passwordKey: "backupKey" }),
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-"));
    let found: string[] = [];
    try {
      parseConfig({ ...FAKE_SECRETS, ...raw }, (k) => secretKeys.has(k), (p) => !p.endsWith("rag-mcp"), dir);
    } catch (e) {
      found = (e as ConfigError).problems;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(found.find((p) => p.startsWith("mcp-platform:neo4j "))).toMatch(/must be a map of settings/);
    expect(found).toContain('mcp-platform:services.graphiti.memoryMb must be a positive integer (got "lots")');
    expect(found.find((p) => p.startsWith("mcp-platform:backupKey"))).toMatch(/is a required secret \(for backup\.passwordKey\)/);
    expect(found.find((p) => p.startsWith("mcp-platform:services.rag.publishedPort"))).toMatch(/already used by services\.gmail\.publishedPort/);
    expect(found.find((p) => p.startsWith("mcp-platform:services.rag.build.context"))).toMatch(/does not exist/);
    expect(found).toHaveLength(5);
  });

  it("still checks the secrets of the servers that parse when another server has a mistake", () => {
    const found = problems({ "mcp-platform:services": JSON.stringify({ rag: { cpus: 0 } }) }, {});
    expect(found.some((p) => p.startsWith("mcp-platform:services.rag.cpus must be a positive number"))).toBe(true);
    expect(found.some((p) => p.startsWith("mcp-platform:openaiApiKey is a required secret"))).toBe(true);
    expect(found.some((p) => p.startsWith("mcp-platform:gmailOauthKeys is a required secret"))).toBe(true);
  });

  it("does not call a secret unknown because the setting that names it has a mistake", () => {
    const found = problems(
      { "mcp-platform:services": JSON.stringify({ notes: { image: "x/notes:1", port: 9000, memoryMb: 64, cpus: 1, secretEnv: { TOKEN: "notesToken" } } }) },
      { ...FAKE_SECRETS, "mcp-platform:notesToken": "t0ken-value-long-enough" },
    );
    expect(found).toEqual(["mcp-platform:services.notes.publishedPort is required: it must be a port number between 1 and 65535"]);
  });
});

describe("YAML shape mistakes, explained in words", () => {
  it("a setting indented too little under a server: names the server above it and the fix", () => {
    const raw = fromYaml(`
config:
  mcp-platform:services:
    gmail:
    replicas: 2
`);
    expect(problems(raw)).toEqual([
      "mcp-platform:services.replicas is the number 2, but services is a map of names to settings, and replicas is a setting, not a name: " +
        "the line is probably indented too little; indent it two more spaces, under services.gmail (the entry above it), i.e. services.gmail.replicas",
    ]);
  });

  it("a number where a map of settings belongs", () => {
    const [p] = problems(fromYaml("config:\n  mcp-platform:neo4j: 4096\n"));
    expect(p).toMatch(/^mcp-platform:neo4j must be a map of settings on indented lines below it \(such as image, memoryMb, /);
    expect(p).toMatch(/but it is the number 4096: write "neo4j:" on a line of its own and its settings indented two spaces under it$/);
  });

  it("a key with nothing under it", () => {
    expect(problems(fromYaml("config:\n  mcp-platform:gateway:\n  mcp-platform:neo4j: {memoryMb: 2048}\n"))).toEqual([
      'mcp-platform:gateway is empty, but it should hold settings: indent its settings under it (two spaces more than "gateway:"), or remove the line',
    ]);
  });

  it("a map where a list belongs", () => {
    const raw = fromYaml(`
config:
  mcp-platform:backup:
    schedules:
      name: hourly
      cron: "0 * * * *"
`);
    expect(problems(raw)).toEqual([
      'mcp-platform:backup.schedules must be a list, but it is a map: start each entry with "- " indented under "schedules:" (e.g. "- name: hourly")',
    ]);
  });

  it("a server indented too far, under another server", () => {
    const raw = fromYaml(`
config:
  mcp-platform:services:
    gmail:
      replicas: 2
      rag:
        replicas: 2
`);
    expect(problems(raw)).toEqual([
      "mcp-platform:services.gmail.rag is not a setting of services.gmail: rag belongs one level up (services.rag): the line is probably indented too far; outdent it two spaces",
    ]);
  });

  it("a top-level setting nested under another", () => {
    const raw = fromYaml(`
config:
  mcp-platform:neo4j:
    memoryMb: 2048
    gateway:
      replicas: 1
`);
    expect(problems(raw)).toEqual([
      'mcp-platform:neo4j.gateway is not a setting of neo4j: gateway is a setting of its own (mcp-platform:gateway): write it at the level of the other mcp-platform: keys, as "mcp-platform:gateway:"',
    ]);
  });
});

describe("presets", () => {
  it("a disabled preset's stored secret is ignored with a notice, not an error", () => {
    const r = load({ "mcp-platform:services": JSON.stringify({ gmail: { enabled: false } }) });
    expect(Array.isArray(r), String(r)).toBe(false);
    const { config, secretKeys: used, notices } = r as LoadedConfig;
    expect(config.services.gmail!.enabled).toBe(false);
    expect(used).toEqual(["openaiApiKey"]);
    expect(notices).toEqual([
      "mcp-platform:gmailOauthKeys is set but not used: only services.gmail (enabled: false) refers to it; it is ignored (pulumi config rm gmailOauthKeys removes it)",
    ]);
  });

  it("a stack can run only the servers it declares (presets: [])", () => {
    const r = load({
      "mcp-platform:presets": "[]",
      "mcp-platform:services": JSON.stringify({ notes: { image: "example/notes:1.0.0", port: 9000, publishedPort: 9100, memoryMb: 128, cpus: 0.5 } }),
    }) as LoadedConfig;
    expect(Object.keys(r.config.services)).toEqual(["notes"]);
    expect(r.secretKeys).toEqual([]);
    expect(r.notices).toHaveLength(2);
    expect(r.notices.join("\n")).toMatch(/openaiApiKey is set but not used: only the graphiti preset \(not in presets\) refers to it/);
  });

  it("a chosen subset of presets, and a server named like a left-out preset gets no preset settings", () => {
    const r = load({ "mcp-platform:presets": '["graphiti"]' }) as LoadedConfig;
    expect(Object.keys(r.config.services)).toEqual(["graphiti"]);
    const found = problems({ "mcp-platform:presets": '["graphiti"]', "mcp-platform:services": JSON.stringify({ gmail: { replicas: 2 } }) });
    expect(found).toContain("mcp-platform:services.gmail.port is required: it must be a port number between 1 and 65535");
  });

  it("an unknown preset name is refused, naming the known ones", () => {
    expect(problems({ "mcp-platform:presets": '["gmial"]' })[0]).toMatch(/^mcp-platform:presets\.0 must name presets: gmail, graphiti, rag/);
  });

  it("without a stored secret, a disabled preset needs none", () => {
    expect(problems({ "mcp-platform:services": JSON.stringify({ graphiti: { enabled: false } }) }, { "mcp-platform:gmailOauthKeys": "{}" })).toEqual([]);
  });
});
