import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, suggest } from "../../components/config/load";
import { MCP_SERVER_PRESETS, PROJECT, platformSchema, requiredSecrets } from "../../components/config/schema";
import { FAKE_SECRETS, fakeSecrets, ROOT, stackConfig } from "../harness/stack-files";

const secretKeys = new Set(Object.keys(fakeSecrets("prod")));
const isSecret = (k: string) => secretKeys.has(k);
const always = () => true;

function problems(raw: Record<string, string>, exists: (p: string) => boolean = always): string[] {
  try {
    parseConfig({ ...FAKE_SECRETS, ...raw }, isSecret, exists);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("platform configuration schema", () => {
  it("gives a complete platform from no settings at all: the three MCP servers, Neo4j, the monitor", () => {
    const c = platformSchema.parse({});
    expect(Object.keys(c.services).sort()).toEqual(["gmail", "graphiti", "rag"]);
    expect(c.neo4j.image).toBe("neo4j:5.26");
    expect(c.healthMonitor.port).toBe(8083);
    expect(c.alerts).toEqual({ responseTimeMs: 5000, errorRate: 0.1, consecutiveFailures: 3, memoryUsage: 0.9, cpuUsage: 0.8 });
    expect(c.logging).toEqual({ maxSize: "10m", maxFile: 3 });
    expect(c.restart).toEqual({ policy: "unless-stopped", maxRetries: 5 });
  });

  it("gives graphiti the standalone image on port 8000 at /mcp (FastMCP redirects /mcp/) and wires it to Neo4j", () => {
    const g = platformSchema.parse({}).services.graphiti!;
    expect(g.image).toMatch(/^zepai\/knowledge-graph-mcp:.*-standalone$/);
    expect(g.port).toBe(8000);
    expect(g.path).toBe("/mcp");
    expect(g.env).toMatchObject({ DATABASE__PROVIDER: "neo4j", LLM__MODEL: "gpt-4.1-mini" });
    expect(g.env).not.toHaveProperty("MODEL_NAME");
    expect(g.neo4j).toBeDefined();
    expect(g.secretEnv).toEqual({ OPENAI_API_KEY: "openaiApiKey" });
  });

  it("publishes every default service on its own host port (the runbook gave 8082 to two)", () => {
    const c = platformSchema.parse({});
    const ports = [...Object.values(c.services).map((s) => s.publishedPort), c.healthMonitor.publishedPort];
    expect(new Set(ports).size).toBe(ports.length);
    expect(c.services.graphiti!.publishedPort).toBe(8082);
    expect(c.services.rag!.publishedPort).toBe(8084);
  });

  it("merges a stack's partial settings over the preset, map entries key by key", () => {
    const c = platformSchema.parse({ services: { gmail: { replicas: 3, env: { MCP_LOG_LEVEL: "DEBUG" } } } });
    const gmail = c.services.gmail!;
    expect(gmail.replicas).toBe(3);
    expect(gmail.port).toBe(8080);
    expect(gmail.env.MCP_LOG_LEVEL).toBe("DEBUG");
    expect(gmail.env.GMAIL_OAUTH_PATH).toBe("/app/config/gcp-oauth.keys.json");
  });

  it("switches a preset from build to image when the stack names an image", () => {
    const rag = platformSchema.parse({ services: { rag: { image: "registry.example.com/rag:1" } } }).services.rag!;
    expect(rag.image).toBe("registry.example.com/rag:1");
    expect(rag.build).toBeUndefined();
  });

  it("accepts numbers and booleans written as strings, as `pulumi config set --path` may store them", () => {
    const c = platformSchema.parse({ services: { gmail: { replicas: "2", enabled: "true" } }, protectVolumes: "true" });
    expect(c.services.gmail!.replicas).toBe(2);
    expect(c.protectVolumes).toBe(true);
  });

  it("lists the secrets the enabled services need, with the setting that needs each", () => {
    const c = platformSchema.parse({});
    expect(requiredSecrets(c).map((s) => s.key).sort()).toEqual(["gmailOauthKeys", "openaiApiKey"]);
    const off = platformSchema.parse({ services: { gmail: { enabled: false } } });
    expect(requiredSecrets(off).map((s) => s.key)).toEqual(["openaiApiKey"]);
  });

  it("keeps Pulumi.yaml's documented defaults equal to the schema's", () => {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown }>;
    };
    const defaults = platformSchema.parse({}) as Record<string, unknown>;
    const keys = Object.keys(project.config);
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) {
      const name = key.replace(`${PROJECT}:`, "");
      expect(defaults[name], key).toEqual(project.config[key]!.default);
    }
  });

  it("gives the gateway HAProxy's 3.2 LTS line, pinned, and accepts a digest", () => {
    const g = platformSchema.parse({}).gateway;
    expect(g.image).toBe("haproxy:3.2");
    const digest = `haproxy:3.2@sha256:${"a".repeat(64)}`;
    expect(platformSchema.parse({ gateway: { image: digest } }).gateway.image).toBe(digest);
    expect(g).toMatchObject({ streamTimeoutSeconds: 3600, maxFails: 3, failTimeoutSeconds: 1, dnsValidSeconds: 1 });
  });

  it("knows every preset by a DNS-safe name", () => {
    for (const name of Object.keys(MCP_SERVER_PRESETS)) expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
  });
});

describe("config loading", () => {
  it("accepts both real stack files", () => {
    for (const stack of ["dev", "prod"]) expect(problems({ ...stackConfig(stack), ...fakeSecrets(stack) }), stack).toEqual([]);
  });

  const broken: [string, Record<string, string>, RegExp][] = [
    ["a word where a size belongs", { "mcp-platform:services": '{"graphiti":{"memoryMb":"lots"}}' },
      /^mcp-platform:services\.graphiti\.memoryMb must be a positive integer \(got "lots"\)$/],
    ["a negative size", { "mcp-platform:neo4j": '{"memoryMb":-5}' }, /^mcp-platform:neo4j\.memoryMb must be a positive integer \(got -5\)$/],
    ["a fractional replica count", { "mcp-platform:services": '{"rag":{"replicas":1.5}}' }, /^mcp-platform:services\.rag\.replicas must be a positive integer/],
    ["a port out of range", { "mcp-platform:services": '{"gmail":{"publishedPort":70000}}' },
      /^mcp-platform:services\.gmail\.publishedPort must be a port number between 1 and 65535 \(got 70000\)$/],
    ["a host port used twice", { "mcp-platform:services": '{"rag":{"publishedPort":8082}}' },
      /^mcp-platform:services\.rag\.publishedPort uses host port 8082, already used by services\.graphiti\.publishedPort/],
    ["a host port shared with the monitor", { "mcp-platform:healthMonitor": '{"publishedPort":8080}' },
      /^mcp-platform:healthMonitor\.publishedPort uses host port 8080, already used by services\.gmail\.publishedPort/],
    ["a misspelt setting", { "mcp-platform:services": '{"graphiti":{"memroyMb":512}}' },
      /^mcp-platform:services\.graphiti\.memroyMb is not a known setting: did you mean memoryMb\?/],
    ["a misspelt top-level key", { "mcp-platform:enviroment": "prod" }, /^mcp-platform:enviroment is not a known setting \(did you mean environment\?\)/],
    ["an unknown environment", { "mcp-platform:environment": "staging" }, /^mcp-platform:environment must be dev or prod \(got "staging"\)$/],
    ["an unknown data service", { "mcp-platform:services": '{"rag":{"uses":{"VECTOR_DB_URL":"vectordb"}}}' },
      /^mcp-platform:services\.rag\.uses\.VECTOR_DB_URL names "vectordb", which is not a data service/],
    ["a service name that is not a DNS label", { "mcp-platform:services": '{"My_Server":{"image":"x:1","port":80,"publishedPort":9000,"memoryMb":64,"cpus":1}}' },
      /^mcp-platform:services\.My_Server must be a lowercase DNS label/],
    ["a service with neither image nor build", { "mcp-platform:services": '{"extra":{"port":9000,"publishedPort":9001,"memoryMb":64,"cpus":1}}' },
      /^mcp-platform:services\.extra\.image set exactly one of image/],
    ["a monitor interval the monitor cannot use", { "mcp-platform:healthMonitor": '{"intervalSeconds":7200}' },
      /^mcp-platform:healthMonitor\.intervalSeconds must be a whole number of seconds from 1 to 3600/],
    ["a drain longer than a stopping replica lives", { "mcp-platform:services": '{"graphiti":{"drainSeconds":25}}' },
      /^mcp-platform:services\.graphiti\.drainSeconds must be at most 20: a stopping replica is killed 30 s after SIGTERM/],
    ["a drain that is not whole seconds", { "mcp-platform:services": '{"graphiti":{"drainSeconds":2.5}}' },
      /^mcp-platform:services\.graphiti\.drainSeconds must be a whole number of seconds from 0 to 20/],
    ["more restarts than CIS allows", { "mcp-platform:restart": '{"maxRetries":10}' }, /^mcp-platform:restart\.maxRetries must be at most 5/],
    ["a Neo4j heap larger than its container", { "mcp-platform:neo4j": '{"memoryMb":2048,"heapMb":2000}' }, /^mcp-platform:neo4j\.heapMb is too large/],
    ["a Docker host that is not a URL", { "mcp-platform:dockerHost": "myhost" }, /^mcp-platform:dockerHost must be a Docker host URL/],
    ["a gateway image on the latest tag", { "mcp-platform:gateway": '{"image":"haproxy:latest"}' },
      /^mcp-platform:gateway\.image must not use the latest tag: pin a version such as haproxy:3\.2/],
    ["a prod stack serving MCP over plain HTTP", { "mcp-platform:environment": "prod" },
      /^mcp-platform:gateway\.tls\.certificate is not set, but a prod stack and would serve MCP over plain HTTP: set gateway\.tls\.certificate/],
    ["a self-signed pair beyond loopback", { "mcp-platform:publishAddress": "0.0.0.0", "mcp-platform:firewall": '{"enabled":false}', "mcp-platform:gateway": '{"tls":{"selfSigned":true}}' },
      /^mcp-platform:gateway\.tls\.selfSigned is true, but publishAddress 0\.0\.0\.0 reaches beyond loopback/],
    ["a route without authentication beyond loopback", { "mcp-platform:publishAddress": "0.0.0.0", "mcp-platform:firewall": '{"enabled":false}', "mcp-platform:gateway": '{"tls":{"terminatedBy":{"reason":"the cloud load balancer"}}}', "mcp-platform:services": '{"rag":{"auth":{"mode":"none"}}}' },
      /^mcp-platform:services\.rag\.auth\.mode is none, but port 8084 is published on 0\.0\.0\.0, beyond loopback/],
    ["an allowlist of 0.0.0.0/0 for a route without authentication", { "mcp-platform:services": '{"rag":{"auth":{"mode":"none"}}}' },
      /^mcp-platform:firewall\.allowFrom allows 0\.0\.0\.0\/0 \(anyone\) to port 8084, whose route has no authentication/],
    ["oauth without an issuer or its keys", { "mcp-platform:services": '{"gmail":{"auth":{"mode":"oauth"}}}' },
      /^mcp-platform:services\.gmail\.auth\.issuer is required with mode oauth/],
    ["a TLS certificate without its key", { "mcp-platform:gateway": '{"tls":{"certificate":"tlsCertificate"}}' },
      /^mcp-platform:gateway\.tls\.privateKey must be set together with its pair/],
    ["a gateway image with no version", { "mcp-platform:gateway": '{"image":"nginx"}' },
      /^mcp-platform:gateway\.image must be an image pinned to a version or a digest/],
    ["a gateway stream timeout of zero", { "mcp-platform:gateway": '{"streamTimeoutSeconds":0}' },
      /^mcp-platform:gateway\.streamTimeoutSeconds must be a positive integer \(got 0\)$/],
    ["a misspelt gateway setting", { "mcp-platform:gateway": '{"maxFail":3}' },
      /^mcp-platform:gateway\.maxFail is not a known setting: did you mean maxFails\?/],
    ["swarm mode with ports bound to one address", { "mcp-platform:mode": "swarm", "mcp-platform:publishAddress": "127.0.0.1" },
      /^mcp-platform:publishAddress is 127\.0\.0\.1, but Swarm cannot bind a published port to one address/],
    ["swarm mode with an env secret and no command", { "mcp-platform:mode": "swarm", "mcp-platform:publishAddress": "0.0.0.0", "mcp-platform:services": '{"notes":{"image":"example/notes:1","port":9000,"publishedPort":9100,"memoryMb":64,"cpus":1,"secretEnv":{"TOKEN":"openaiApiKey"}}}' },
      /^mcp-platform:services\.notes\.command is required in swarm mode for a server with secretEnv/],
    ["swarm mode building images with no registry to push them to", { "mcp-platform:mode": "swarm", "mcp-platform:publishAddress": "0.0.0.0" },
      /^mcp-platform:swarm\.registry is required in swarm mode when the program builds images \(services\.gmail, services\.rag, healthMonitor, backup\): set it to a registry every node can pull from/],
    ["a swarm registry that is a URL with a path of the wrong kind", { "mcp-platform:mode": "swarm", "mcp-platform:swarm": '{"registry":"ftp://registry.example.com"}' },
      /^mcp-platform:swarm\.registry must be a registry host with an optional port and path/],
    ["one gateway on a Swarm, which could not update without a gap", { "mcp-platform:mode": "swarm", "mcp-platform:publishAddress": "0.0.0.0" },
      /^mcp-platform:gateway\.replicas is 1, but swarm mode needs 2 or more gateways on separate nodes: each updates stop-first/],
    ["several gateways on one host", { "mcp-platform:gateway": '{"replicas":2}' },
      /^mcp-platform:gateway\.replicas must be 1 on one Docker host/],
    ["a reserved name", { "mcp-platform:dataServices": '{"neo4j":{"image":"x:1","port":1,"healthcheck":["CMD","true"],"memoryMb":64,"cpus":1,"dataVolume":{"path":"/d"}}}' },
      /^mcp-platform:dataServices\.neo4j is already the name of another service/],
    ["a firewall source that is not a CIDR", { "mcp-platform:firewall": '{"allowFrom":["10.0.0.0/33"]}' },
      /^mcp-platform:firewall\.allowFrom\.0 must be an IPv4 address or CIDR/],
    ["a firewall rule for a port nothing publishes", { "mcp-platform:firewall": '{"portSources":{"9999":["10.0.0.0/8"]}}' },
      /^mcp-platform:firewall\.portSources\.9999 is not a published port \(published: 8080, 8082, 8084, 8083\)/],
    ["a firewall on a Docker host it cannot run commands on", { "mcp-platform:dockerHost": "tcp://10.0.0.5:2376" },
      /^mcp-platform:firewall\.enabled needs a Docker host it can run iptables on/],
    ["a firewall SSH key that is not set", { "mcp-platform:dockerHost": "ssh://deploy@docker.example.com", "mcp-platform:firewall": '{"sshPrivateKey":"dockerHostSshKey"}' },
      /^mcp-platform:dockerHostSshKey is a required secret \(for firewall\.sshPrivateKey\) and is not set: pulumi config set --secret dockerHostSshKey < path\/to\/id_ed25519$/],
    ["a firewall interface name with a space", { "mcp-platform:firewall": '{"externalInterface":"eth 0"}' },
      /^mcp-platform:firewall\.externalInterface must be a network interface name/],
    ["a backup cron expression that is not cron", { "mcp-platform:backup": '{"schedules":[{"name":"hourly","cron":"every hour"}]}' },
      /^mcp-platform:backup\.schedules\.0\.cron must be a cron expression of 5 fields/],
    ["a backup cron field out of range", { "mcp-platform:backup": '{"schedules":[{"name":"hourly","cron":"61 * * * *"}]}' },
      /^mcp-platform:backup\.schedules\.0\.cron is not a valid cron expression \("61 \* \* \* \*"\)/],
    ["a backup cron with names the container cannot read", { "mcp-platform:backup": '{"schedules":[{"name":"weekly","cron":"0 3 * * SUN"}]}' },
      /^mcp-platform:backup\.schedules\.0\.cron must use numbers with \* , - \/ only/],
    ["backups slower than the RPO", { "mcp-platform:backup": '{"rpoMinutes":60,"schedules":[{"name":"nightly","cron":"30 2 * * *"}]}' },
      /^mcp-platform:backup\.schedules leave up to 1 day \(1440 minutes\) between two backups, more than backup\.rpoMinutes \(60\): schedule a run at least every 60 minutes/],
    ["office-hours backups against a 4-hour RPO", { "mcp-platform:backup": '{"rpoMinutes":240,"schedules":[{"name":"work","cron":"0 9-17 * * 1-5"}]}' },
      /^mcp-platform:backup\.schedules leave up to 64 hours \(3840 minutes\) between two backups, more than backup\.rpoMinutes \(240\)/],
    ["no backup schedule at all", { "mcp-platform:backup": '{"schedules":[]}' }, /^mcp-platform:backup\.schedules must name at least one schedule/],
    ["an unset backup repository password", { "mcp-platform:backup": '{"passwordKey":"backupKey"}' },
      /^mcp-platform:backupKey is a required secret \(for backup\.passwordKey\) and is not set: pulumi config set --secret backupKey <value>$/],
    ["an off-host REST repository over plain http", { "mcp-platform:backup": '{"offsite":{"rest":{"url":"http://nas.lan:8000/mcp/","username":"mcp","passwordKey":"restPw"}}}' },
      /^mcp-platform:backup\.offsite\.rest\.url must be an https:\/\/ URL \(got http:\/\/…\): the copy and the server's password leave the host, so TLS is required$/],
    ["credentials in the off-host REST repository's URL", { "mcp-platform:backup": '{"offsite":{"rest":{"url":"https://mcp:pw@nas.lan:8000/mcp/","username":"mcp","passwordKey":"restPw"}}}' },
      /^mcp-platform:backup\.offsite\.rest\.url must not carry credentials: set backup\.offsite\.rest\.username, and the password as a secret config key named by backup\.offsite\.rest\.passwordKey$/],
    ["two off-host repositories", { "mcp-platform:backup": '{"offsite":{"nfs":{"address":"nas.lan","path":"/x"},"rest":{"url":"https://nas.lan:8000/mcp/","username":"mcp","passwordKey":"restPw"}}}' },
      /^mcp-platform:backup\.offsite must set exactly one of nfs \(an NFS export\) or rest \(a restic REST server\)/],
    ["an unset off-host REST password", { "mcp-platform:backup": '{"offsite":{"rest":{"url":"https://nas.lan:8000/mcp/","username":"mcp","passwordKey":"restPw"}}}' },
      /^mcp-platform:restPw is a required secret \(for backup\.offsite\.rest\.passwordKey\) and is not set: pulumi config set --secret restPw <value>$/],
    ["a restore drill cron the container cannot read", { "mcp-platform:backup": '{"restoreDrill":{"cron":"@weekly"}}' },
      /^mcp-platform:backup\.restoreDrill\.cron must be a cron expression of 5 fields/],
    ["an NFS target without its export path", { "mcp-platform:backup": '{"offsite":{"nfs":{"address":"nas.lan"}}}' },
      /^mcp-platform:backup\.offsite\.nfs\.path is required/],
    ["the removed session table's expiry", { "mcp-platform:gateway": '{"sessionTtlSeconds":1800}' },
      /^mcp-platform:gateway\.sessionTtlSeconds was removed: sessions are routed by the replica their id names.*delete this key/],
  ];
  it.each(broken)("rejects %s, naming the key", (_what, raw, message) => {
    const found = problems(raw);
    expect(found.some((p) => message.test(p)), found.join("\n")).toBe(true);
  });

  it("reports several mistakes together", () => {
    const found = problems({
      "mcp-platform:services": '{"graphiti":{"memoryMb":"lots"},"gmail":{"cpus":0}}',
      "mcp-platform:neo4j": '{"memoryMb":512}',
    });
    expect(found).toHaveLength(3);
  });

  it("prints the exact command that sets a missing secret", () => {
    let error: unknown;
    try {
      parseConfig({}, () => false, always);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const list = (error as ConfigError).problems;
    expect(list).toContain(
      "mcp-platform:openaiApiKey is a required secret (for services.graphiti.secretEnv.OPENAI_API_KEY) and is not set: pulumi config set --secret openaiApiKey <value>",
    );
    expect(list.find((p) => p.startsWith("mcp-platform:gmailOauthKeys"))).toMatch(
      /pulumi config set --secret gmailOauthKeys < path\/to\/gcp-oauth\.keys\.json$/,
    );
  });

  it("refuses a secret stored in plain text", () => {
    expect(() => parseConfig({ "mcp-platform:openaiApiKey": "sk-1", "mcp-platform:gmailOauthKeys": "{}" }, () => false, always)).toThrow(
      /openaiApiKey holds a secret but is stored in plain text: pulumi config set --secret openaiApiKey/,
    );
  });

  it("names a missing build context and how to fix it", () => {
    const found = problems({}, (p) => !p.endsWith("rag-mcp"));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^mcp-platform:services\.rag\.build\.context is .*rag-mcp, which does not exist: clone the ai-PA repository there, set mcp-platform:sourceRoot/);
  });

  it("says in one sentence that nothing was deployed", () => {
    expect(new ConfigError(["a", "b"]).message).toBe("The stack configuration has 2 problems; nothing was deployed.\n  - a\n  - b");
  });

  it("suggests the nearest known name for a typo, and nothing for a stranger", () => {
    expect(suggest("replcas", ["replicas", "port"])).toBe("replicas");
    expect(suggest("zzzzzz", ["replicas", "port"])).toBeUndefined();
  });
});
