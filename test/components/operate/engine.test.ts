// status and logs against a real Docker engine (Debian trixie's docker.io, started by
// .ci/toolchain/engine.sh in a network namespace of this test's own), with containers that carry the
// platform's labels on a stack's networks: running and healthy, crashed, restarting, missing.
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as logs } from "../../../components/operate/logs";
import { main as status } from "../../../components/operate/status";
import { ROOT } from "../../harness/stack-files";
import { hasTool, skipOrFail } from "../../harness/tools";

const ENGINE_ROOT = process.env.MCP_ENGINE_ROOT ?? "/var/cache/mcp-platform-ci/engine/trixie-root";
const name = `op-${process.pid}`;
const problem =
  process.getuid?.() !== 0 ? "needs root to start a Docker engine in a network namespace"
  : !fs.existsSync(path.join(ENGINE_ROOT, "usr/sbin/dockerd")) ? `no engine tree at ${ENGINE_ROOT} (run .ci/toolchain/install.sh)`
  : !hasTool("busybox") ? "busybox is not installed (apt-get install busybox-static): the test's image is built from it"
  : !hasTool("docker") ? "the docker CLI is not installed (engine.sh uses it to wait for the engine)"
  : undefined;

let socket = "";
let docker: Docker;
let tmp: string;
let outputsFile: string;
const labels = (service: string, component: string, replica?: number) => ({
  service, component, environment: "dev", "dev.mcp-platform.managed-by": "pulumi", ...(replica ? { "dev.mcp-platform.replica": String(replica) } : {}),
});

async function run(image: string, network: string, lbl: Record<string, string>, cmd: string[], extra: Partial<Docker.ContainerCreateOptions> = {}) {
  const c = await docker.createContainer({ ...extra, Image: image, Cmd: cmd, Labels: lbl, HostConfig: { ...extra.HostConfig, NetworkMode: network } });
  await c.start();
  return c;
}

beforeAll(async () => {
  if (problem) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "operate-engine-"));
  socket = execFileSync("bash", [path.join(ROOT, ".ci/toolchain/engine.sh"), "start", name, name], { encoding: "utf8" }).trim();
  docker = new Docker({ socketPath: socket.replace("unix://", "") });
  // A tiny image from the machine's static busybox: sh, sleep, echo.
  const rootfs = path.join(tmp, "rootfs");
  fs.mkdirSync(path.join(rootfs, "bin"), { recursive: true });
  fs.copyFileSync(execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim(), path.join(rootfs, "bin/busybox"));
  fs.chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  for (const a of ["sh", "sleep", "echo", "true"]) fs.symlinkSync("busybox", path.join(rootfs, "bin", a));
  const tar = spawn("tar", ["-C", rootfs, "-c", "."]);
  await new Promise<void>((resolve, reject) =>
    docker.importImage(tar.stdout as unknown as string, { repo: "mcp-platform-test/busybox", tag: "1" }, (err, stream) => {
      if (err || !stream) return reject(err);
      docker.modem.followProgress(stream, (e) => (e ? reject(e) : resolve()));
    }),
  );
  const image = "mcp-platform-test/busybox:1";
  await docker.createNetwork({ Name: "mcp-op-frontend" });
  await docker.createNetwork({ Name: "mcp-op-backend", Internal: true });
  const loop = (tag: string) => ["sh", "-c", `i=0; while true; do echo "${tag} line $i"; echo "${tag} warn $i" >&2; i=$((i+1)); sleep 1; done`];
  await run(image, "mcp-op-frontend", labels("gmail", "mcp-server", 1), loop("one"), { Healthcheck: { Test: ["CMD", "true"], Interval: 500_000_000, StartPeriod: 0 } });
  await run(image, "mcp-op-frontend", labels("gmail", "mcp-server", 2), ["sh", "-c", "echo two; exit 3"]);
  await run(image, "mcp-op-frontend", labels("rag", "mcp-server", 1), ["sh", "-c", "echo crash; exit 1"], { HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 2 } } });
  await run(image, "mcp-op-backend", labels("neo4j", "neo4j"), ["sleep", "1000"]);
  // Another stack's container on the same engine.
  await docker.createNetwork({ Name: "mcp-other-frontend" });
  await run(image, "mcp-other-frontend", labels("gmail", "mcp-server", 1), ["sleep", "1000"]);
  outputsFile = path.join(tmp, "outputs.json");
  fs.writeFileSync(outputsFile, JSON.stringify({
    networks: { frontend: "mcp-op-frontend", backend: "mcp-op-backend" },
    mcpServers: { gmail: { url: "http://127.0.0.1:8080/mcp", replicas: 3 }, rag: { url: "http://127.0.0.1:8084/mcp", replicas: 1 } },
  }));
}, 120_000);

afterAll(() => {
  if (problem || !tmp) return;
  spawnSync("bash", [path.join(ROOT, ".ci/toolchain/engine.sh"), "stop", name]);
  spawnSync("ip", ["netns", "del", name]);
  // The engine's data root and socket directory (engine.sh keeps them for a restart).
  fs.rmSync(path.join(process.env.MCP_ENGINE_STATE ?? "/var/lib/mcp-platform-e2e", name), { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

const capture = async (fn: (args: string[], out: (s: string) => void, err: (s: string) => void) => Promise<number>, args: string[], newline = true) => {
  let stdout = "";
  let stderr = "";
  const nl = newline ? "\n" : "";
  const code = await fn(args, (s) => (stdout += s + nl), (s) => (stderr += s + nl));
  return { code, stdout, stderr };
};

describe("status and logs on a real Docker engine", () => {
  it("status reads state, health, uptime and restarts from the engine", async (ctx) => {
    skipOrFail(ctx, problem);
    // Wait for what the engine itself reports: gmail-1 healthy, rag-1 out of retries.
    await expect.poll(async () => (await docker.listContainers({ filters: { health: ["healthy"] } })).length, { timeout: 30_000, interval: 250 }).toBe(1);
    const rag = (await docker.listContainers({ all: true, filters: { label: ["service=rag"] } }))[0]!;
    await expect.poll(async () => {
      const s = (await docker.getContainer(rag.Id).inspect());
      return `${s.State.Status} ${s.RestartCount}`;
    }, { timeout: 30_000, interval: 250 }).toBe("exited 2");
    const { code, stdout } = await capture(status, ["--stack", "op", "--docker-host", socket, "--outputs-file", outputsFile]);
    const row = (re: RegExp) => stdout.split("\n").find((l) => re.test(l)) ?? "";
    expect(row(/^gmail\s+1 /)).toMatch(/^gmail\s+1\s+running\s+healthy\s+\d+s\s+0\s+mcp-platform-test\/busybox:1 \(local, sha256:[0-9a-f]{12}\)\s+http:\/\/127\.0\.0\.1:8080\/mcp$/);
    expect(row(/^gmail\s+2 /)).toMatch(/exited \(3\)\s+-\s+-\s+0/);
    expect(row(/^rag\s+1 /)).toMatch(/exited \(1\)\s+-\s+-\s+2\s/);
    expect(row(/^gmail\s+3 /)).toMatch(/missing/);
    expect(row(/^neo4j /)).toMatch(/^neo4j\s+-\s+running\s+-\s+\d+s\s+0\s+.*internal$/);
    expect(stdout.split("\n").filter((l) => /^gmail\s+1 /.test(l))).toHaveLength(1);
    expect(code).toBe(1);
  });

  it("logs prints every replica's lines, and --follow the new ones as they come", async (ctx) => {
    skipOrFail(ctx, problem);
    const { code, stdout, stderr } = await capture(logs, ["--stack", "op", "--docker-host", socket, "--outputs-file", outputsFile, "gmail", "--tail", "2"], false);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^gmail-2 \| two$/m);
    expect(stdout).toMatch(/^gmail-1 \| one line \d+$/m);
    expect(stderr).toMatch(/^gmail-1 \| one warn \d+$/m);

    const child = spawn("npx", ["--no", "tsx", "components/operate/logs.ts", "--stack", "op", "--docker-host", socket, "--outputs-file", outputsFile, "gmail", "--follow"], { cwd: ROOT });
    try {
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      await expect.poll(() => /gmail-1 \| one line (\d+)/.exec(out)?.[1], { timeout: 20_000 }).toBeDefined();
      const first = Math.max(...[...out.matchAll(/one line (\d+)/g)].map((m) => Number(m[1])));
      // The container prints a line a second: a later one arrives on the open stream.
      await expect.poll(() => Math.max(...[...out.matchAll(/one line (\d+)/g)].map((m) => Number(m[1]))), { timeout: 20_000 }).toBeGreaterThan(first);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
    }
  });

  it("on a Swarm: one row per service task, and the service's logs", async (ctx) => {
    skipOrFail(ctx, problem);
    // Swarm needs an address to advertise: a veth pair inside the test's own namespace.
    for (const args of [["link", "add", "sw0", "type", "veth", "peer", "name", "sw1"], ["addr", "add", "10.250.0.1/24", "dev", "sw0"], ["link", "set", "sw0", "up"], ["link", "set", "sw1", "up"]])
      execFileSync("ip", ["-n", name, ...args]);
    await docker.swarmInit({ ListenAddr: "10.250.0.1:2377", AdvertiseAddr: "10.250.0.1" });
    await docker.createNetwork({ Name: "mcp-sw-frontend", Driver: "overlay", Attachable: true });
    await docker.createNetwork({ Name: "mcp-sw-backend", Driver: "overlay", Internal: true });
    const network = (await docker.getNetwork("mcp-sw-frontend").inspect()) as { Id: string };
    await docker.createService({
      Name: "gmail-1",
      Labels: labels("gmail", "mcp-server", 1),
      TaskTemplate: {
        ContainerSpec: { Image: "mcp-platform-test/busybox:1", Command: ["sh", "-c", "i=0; while true; do echo \"swarm line $i\"; i=$((i+1)); sleep 1; done"] },
        Networks: [{ Target: network.Id }],
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const project = path.join(tmp, "swarm-project");
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, "Pulumi.sw.yaml"), "config:\n  mcp-platform:mode: swarm\n");
    const outputs = path.join(project, "outputs.json");
    fs.writeFileSync(outputs, JSON.stringify({ networks: { frontend: "mcp-sw-frontend", backend: "mcp-sw-backend" }, mcpServers: { gmail: { url: "http://127.0.0.1:8080/mcp", replicas: 1 } } }));
    const args = ["--stack", "sw", "--docker-host", socket, "--outputs-file", outputs];
    let result = { code: -1, stdout: "", stderr: "" };
    await expect
      .poll(async () => {
        let stdout = "";
        let stderr = "";
        const code = await status(args, (x) => (stdout += `${x}\n`), (x) => (stderr += `${x}\n`), project);
        result = { code, stdout, stderr };
        return code;
      }, { timeout: 60_000, interval: 500 })
      .toBe(0);
    expect(result.stdout).toMatch(/\(swarm mode\)/);
    expect(result.stdout).toMatch(/^gmail\s+1\s+running\s+-\s+\d+s\s+0\s+mcp-platform-test\/busybox:1\s+http:\/\/127\.0\.0\.1:8080\/mcp$/m);
    let out = "";
    await expect
      .poll(async () => {
        out = "";
        await logs([...args, "gmail", "--tail", "2"], (x) => (out += x), () => undefined, project);
        return /^swarm line \d+$/m.test(out);
      }, { timeout: 30_000, interval: 500 })
      .toBe(true);
  });
});
