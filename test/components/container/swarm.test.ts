import * as pulumi from "@pulumi/pulumi";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { healthcheck, type WorkloadSpec } from "../../../components/container/spec";
import { networkRef, platformDefaults } from "../../harness/fixtures";
import { DRAIN_WRAPPER, DRAIN_WRAPPER_SOURCE, SECRET_ENV_SHIM, SECRET_ENV_SHIM_SOURCE, serviceArgs, serviceDuration, swarmFiles } from "../../../components/container/swarm";
import { hasTool, skipOrFail } from "../../harness/tools";

const platform = platformDefaults({ environment: "prod", mode: "swarm" });

function spec(over: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    service: "graphiti",
    component: "mcp-server",
    image: "sha256:abc",
    command: ["/app/mcp/.venv/bin/python", "main.py"],
    user: "1000:1000",
    replicas: 3,
    memoryMb: 512,
    memoryReservationMb: 256,
    cpus: 1,
    env: { A: "1" },
    secretEnv: { OPENAI_API_KEY: pulumi.secret("sk") },
    files: [],
    volumes: [],
    readOnlyRootFilesystem: true,
    tmpfs: ["/tmp"],
    capAdd: [],
    networks: [{ network: "frontend", ref: networkRef("front"), aliases: ["graphiti"] }],
    ports: [],
    healthcheck: healthcheck(["CMD", "true"]),
    stateful: false,
    ...over,
  };
}
const noRefs = { secrets: [], configs: [] };
type Obj = Record<string, unknown>;

describe("a workload on Docker Swarm", () => {
  it("runs the configured replicas with limits and reservations", () => {
    const a = serviceArgs(spec(), platform, platform.swarm, noRefs);
    expect(a.mode).toEqual({ replicated: { replicas: 3 } });
    const task = a.taskSpec as unknown as Obj;
    expect(task.resources).toEqual({
      limits: { memoryBytes: 512 * 1024 * 1024, nanoCpus: 1e9 },
      reservation: { memoryBytes: 256 * 1024 * 1024, nanoCpus: 5e8 },
    });
    // unless-stopped: a task is restarted whenever it ends, even with status 0.
    expect(task.restartPolicy).toMatchObject({ condition: "any", maxAttempts: undefined });
    const onFailure = serviceArgs(spec(), { ...platform, restart: { policy: "on-failure", maxRetries: 5 } }, platform.swarm, noRefs);
    expect((onFailure.taskSpec as unknown as Obj).restartPolicy).toMatchObject({ condition: "on-failure", maxAttempts: 5 });
  });

  it("writes durations, restart policies and env as Swarm reads them back, so a second `pulumi up` changes nothing", () => {
    expect([0, 5, 60, 90, 120, 3600, 3660].map(serviceDuration)).toEqual(["0s", "5s", "1m", "1m30s", "2m", "1h", "1h1m"]);
    const task = serviceArgs(spec({ healthcheck: healthcheck(["CMD", "true"], { startPeriodSeconds: 60 }) }), platform, platform.swarm, noRefs).taskSpec as unknown as Obj;
    expect((task.containerSpec as Obj).healthcheck).toMatchObject({ startPeriod: "1m", interval: "15s", timeout: "5s" });
    expect(task.restartPolicy).toMatchObject({ delay: "5s", window: "2m" });
    const oneShot = serviceArgs(spec({ oneShot: true, env: {}, secretEnv: {} }), platform, platform.swarm, noRefs).taskSpec as unknown as Obj;
    expect(oneShot.restartPolicy).toEqual({ condition: "none", delay: "0s", maxAttempts: 0, window: "0s" });
    expect((oneShot.containerSpec as Obj).env).toBeUndefined();
  });

  it("starts the new task before stopping the old one, and rolls back a failed update", () => {
    const a = serviceArgs(spec(), platform, platform.swarm, noRefs);
    expect(a.updateConfig).toMatchObject({ parallelism: 1, order: "start-first", failureAction: "rollback", monitor: "30s" });
    expect(a.rollbackConfig).toMatchObject({ parallelism: 1, order: "start-first" });
  });

  it("stops a stateful task first (two tasks cannot share its volume) and places it on the state node", () => {
    const a = serviceArgs(
      spec({ stateful: true, volumes: [{ volume: "neo4j-data", volumeName: "mcp-prod-neo4j-data", path: "/data", readOnly: false }] }),
      platform,
      platform.swarm,
      noRefs,
    );
    expect(a.mode).toEqual({ replicated: { replicas: 1 } });
    expect(a.updateConfig).toMatchObject({ order: "stop-first" });
    expect((a.taskSpec as unknown as Obj).placement).toEqual({ constraints: ["node.labels.mcp-platform.state == true"] });
  });

  it("passes secrets as files only: the env names the file, never the value", () => {
    const { files, env, entrypoint } = swarmFiles(spec());
    expect(files.filter((f) => f.secret).map((f) => [f.path, f.mode])).toEqual([["/run/secrets/graphiti-openai-api-key", 0o400]]);
    expect(env).toEqual({ MCP_PLATFORM_SECRET_ENV: "OPENAI_API_KEY=/run/secrets/graphiti-openai-api-key" });
    expect(entrypoint).toEqual(["/bin/sh", SECRET_ENV_SHIM]);
    const container = (serviceArgs(spec(), platform, platform.swarm, noRefs).taskSpec as unknown as Obj).containerSpec as Obj;
    expect(container.env).not.toHaveProperty("OPENAI_API_KEY");
    expect(container.args).toEqual(["/app/mcp/.venv/bin/python", "main.py"]);
  });

  it("uses Neo4j's own NEO4J_AUTH_PATH instead of the shim", () => {
    const { env, entrypoint } = swarmFiles(spec({ service: "neo4j", secretEnv: { NEO4J_AUTH: pulumi.secret("neo4j/x") }, command: undefined }));
    expect(env).toEqual({ NEO4J_AUTH_PATH: "/run/secrets/neo4j-neo4j-auth" });
    expect(entrypoint).toBeUndefined();
  });

  it("refuses a secret env it cannot deliver without the service's command", () => {
    expect(() => swarmFiles(spec({ command: undefined }))).toThrow(/swarm mode needs the service's command/);
  });

  it("publishes in host mode, keeping the client's address for rate limits and affinity", () => {
    const a = serviceArgs(spec({ ports: [{ internal: 8080, published: 8080, address: "0.0.0.0" }] }), platform, platform.swarm, noRefs);
    expect(a.endpointSpec).toEqual({ mode: "dnsrr", ports: [{ targetPort: 8080, publishedPort: 8080, publishMode: "host", protocol: "tcp" }] });
  });

  it("resolves a service's names to its tasks' own addresses (DNS round robin): a VIP needs IPVS on every node", () => {
    expect(serviceArgs(spec(), platform, platform.swarm, noRefs).endpointSpec).toEqual({ mode: "dnsrr", ports: undefined });
  });

  it("updates a task that publishes host-mode ports stop-first, one task per node: its successor cannot bind them beside it", () => {
    const a = serviceArgs(spec({ replicas: 2, ports: [{ internal: 8080, published: 8080, address: "0.0.0.0" }] }), platform, platform.swarm, noRefs);
    expect(a.updateConfig).toMatchObject({ parallelism: 1, order: "stop-first", failureAction: "rollback" });
    expect(a.rollbackConfig).toMatchObject({ parallelism: 1, order: "stop-first" });
    expect((a.taskSpec as unknown as Obj).placement).toEqual({ constraints: undefined, maxReplicas: 1 });
  });

  it("hardens the task like a host container", () => {
    const c = (serviceArgs(spec(), platform, platform.swarm, noRefs).taskSpec as unknown as Obj).containerSpec as Obj;
    expect([c.readOnly, c.init, c.capDrops, c.user]).toEqual([true, true, ["ALL"], "1000:1000"]);
    // No mode: Docker's default for a tmpfs is 1777; the provider reads a declared one back without the
    // sticky bit, and each refresh would propose an update.
    expect(c.mounts).toEqual([{ type: "tmpfs", target: "/tmp", tmpfsOptions: { sizeBytes: 64 * 1024 * 1024 } }]);
  });
});

describe("the secret-env entrypoint shim", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shim-"));
  fs.writeFileSync(path.join(dir, "key"), "sk-from-file");

  it("reads each named file into its variable and runs the command", () => {
    const out = execFileSync("sh", [SECRET_ENV_SHIM_SOURCE, "sh", "-c", 'printf "%s|%s" "$OPENAI_API_KEY" "${MCP_PLATFORM_SECRET_ENV:-unset}"'], {
      env: { PATH: process.env.PATH, MCP_PLATFORM_SECRET_ENV: `OPENAI_API_KEY=${path.join(dir, "key")}` },
    }).toString();
    expect(out).toBe("sk-from-file|unset");
  });

  it("fails, naming the variable, when a secret file is missing", () => {
    expect(() =>
      execFileSync("sh", [SECRET_ENV_SHIM_SOURCE, "true"], {
        env: { PATH: process.env.PATH, MCP_PLATFORM_SECRET_ENV: `TOKEN=${path.join(dir, "absent")}` },
        stdio: "pipe",
      }),
    ).toThrow(/for TOKEN is missing or unreadable/);
  });
});

describe("a swarm task with an entrypoint of its own and env secrets", () => {
  it("runs the shim, then the spec's entrypoint and command", () => {
    const s = spec({ entrypoint: ["bash", "/opt/backup/backup.sh"], command: ["schedule"], secretEnv: { NEO4J_PASSWORD: pulumi.secret("pw") } });
    const c = (serviceArgs(s, platform, platform.swarm, noRefs).taskSpec as unknown as Obj).containerSpec as Obj;
    expect(c.commands).toEqual(["/bin/sh", SECRET_ENV_SHIM]);
    expect(c.args).toEqual(["bash", "/opt/backup/backup.sh", "schedule"]);
  });

  it("keeps the spec's own entrypoint when no secret needs the shim", () => {
    const s = spec({ entrypoint: ["nginx"], command: ["-c", "/etc/nginx/nginx.conf"], secretEnv: {} });
    const c = (serviceArgs(s, platform, platform.swarm, noRefs).taskSpec as unknown as Obj).containerSpec as Obj;
    expect([c.commands, c.args]).toEqual([["nginx"], ["-c", "/etc/nginx/nginx.conf"]]);
  });
});

describe("a swarm task that drains on stop (drainSeconds)", () => {
  it("runs the secret shim, then the drain wrapper, then the server; the wrapper reads its seconds from env", () => {
    const { files, env, entrypoint, args } = swarmFiles(spec({ drainSeconds: 5 }));
    expect(entrypoint).toEqual(["/bin/sh", SECRET_ENV_SHIM]);
    expect(args).toEqual(["/bin/sh", DRAIN_WRAPPER, "/app/mcp/.venv/bin/python", "main.py"]);
    expect(env.MCP_PLATFORM_DRAIN_SECONDS).toBe("5");
    expect(files.find((f) => f.path === DRAIN_WRAPPER)).toMatchObject({ secret: false, mode: 0o555, content: fs.readFileSync(DRAIN_WRAPPER_SOURCE, "utf8") });
  });

  it("runs the wrapper first when no secret needs the shim", () => {
    const { entrypoint, args } = swarmFiles(spec({ drainSeconds: 3, secretEnv: {} }));
    expect([entrypoint, args]).toEqual([["/bin/sh", DRAIN_WRAPPER], ["/app/mcp/.venv/bin/python", "main.py"]]);
  });

  it("leaves the process alone with 0 seconds", () => {
    const { files, env, args } = swarmFiles(spec({ drainSeconds: 0, secretEnv: {} }));
    expect([files, env, args]).toEqual([[], {}, ["/app/mcp/.venv/bin/python", "main.py"]]);
  });

  it("refuses to drain a service whose command it does not know", () => {
    expect(() => swarmFiles(spec({ drainSeconds: 5, secretEnv: {}, command: undefined }))).toThrow(/drain it on stop \(drainSeconds\).*set command/);
  });
});

describe("the drain wrapper", () => {
  // A server that says when it starts and when SIGTERM reaches it, then exits 7.
  const server = ["sh", "-c", 'trap "echo server-got-term; exit 7" TERM; echo server-started; while :; do sleep 0.05; done'];

  it("keeps the server running the drain's seconds after SIGTERM, then passes the signal on and exits with the server's status", async () => {
    const child = spawn("sh", [DRAIN_WRAPPER_SOURCE, ...server], { env: { PATH: process.env.PATH, MCP_PLATFORM_DRAIN_SECONDS: "1" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    while (!out.includes("server-started")) await new Promise((r) => setTimeout(r, 20));
    const signalled = Date.now();
    child.kill("SIGTERM");
    // Still serving half-way through the drain: the signal has not reached it.
    await new Promise((r) => setTimeout(r, 500));
    expect(out).not.toContain("server-got-term");
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(out).toContain("server-got-term");
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1000);
    expect(code).toBe(7);
    expect(err).toContain("drain: TERM received; serving 1 s more");
  });

  it("exits with the server's status when the server ends by itself", () => {
    const r = spawnSync("sh", [DRAIN_WRAPPER_SOURCE, "sh", "-c", "exit 3"], { env: { PATH: process.env.PATH, MCP_PLATFORM_DRAIN_SECONDS: "5" } });
    expect(r.status).toBe(3);
  });

  it("refuses a drain that is not a whole number of seconds, naming the variable", () => {
    const r = spawnSync("sh", [DRAIN_WRAPPER_SOURCE, "true"], { env: { PATH: process.env.PATH, MCP_PLATFORM_DRAIN_SECONDS: "5s" }, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/MCP_PLATFORM_DRAIN_SECONDS must be a whole number of seconds, not '5s'/);
  });

  it("refuses to run without a drain from the platform, rather than guess one", () => {
    const r = spawnSync("sh", [DRAIN_WRAPPER_SOURCE, "true"], { env: { PATH: process.env.PATH }, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/MCP_PLATFORM_DRAIN_SECONDS is not set \(the platform sets it from the service's drainSeconds\)/);
  });

  it("is shellcheck clean, as is the secret-env shim", (ctx) => {
    skipOrFail(ctx, hasTool("shellcheck") ? undefined : "shellcheck is not installed");
    const r = spawnSync("shellcheck", [DRAIN_WRAPPER_SOURCE, SECRET_ENV_SHIM_SOURCE], { encoding: "utf8" });
    expect(r.status, r.stdout).toBe(0);
  });
});
