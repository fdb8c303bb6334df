import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDuration, main, statusRows, type WorkloadFacts } from "../../../components/operate/status";
import { loadStack, type StackContext } from "../../../components/operate/stack";
import { ROOT } from "../../harness/stack-files";
import { startEngineStub, type EngineStub, type StubContainer } from "./engine-stub";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const started = new Date(Date.now() - 3 * 3600_000 - 12 * 60_000).toISOString();
const containers: StubContainer[] = [
  { id: "gw", labels: { service: "gateway", component: "gateway" }, networks: ["mcp-t-frontend"], image: "sha256:img-nginx", imageId: "sha256:img-nginx",
    state: { Status: "running", StartedAt: started, Health: { Status: "healthy" } }, ports: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }], "8083/tcp": [{ HostIp: "127.0.0.1", HostPort: "8083" }] } },
  { id: "g1", labels: { service: "gmail", component: "mcp-server", "dev.mcp-platform.replica": "1" }, networks: ["mcp-t-frontend", "mcp-t-backend"],
    image: "sha256:img-gmail", imageId: "sha256:img-gmail", state: { Status: "running", StartedAt: started, Health: { Status: "healthy" } }, restarts: 2 },
  { id: "g2", labels: { service: "gmail", component: "mcp-server", "dev.mcp-platform.replica": "2" }, networks: ["mcp-t-frontend"],
    image: "sha256:img-gmail", imageId: "sha256:img-gmail", state: { Status: "running", StartedAt: started, Health: { Status: "unhealthy" } } },
  { id: "n", labels: { service: "neo4j", component: "neo4j" }, networks: ["mcp-t-backend"], image: `neo4j:5.26@${DIGEST}`, imageId: "sha256:img-neo4j",
    state: { Status: "exited", ExitCode: 137 } },
  // Another stack's container on the same engine: not on this stack's networks.
  { id: "other", labels: { service: "gmail", component: "mcp-server", "dev.mcp-platform.replica": "1" }, networks: ["mcp-prod-frontend"],
    image: "sha256:img-gmail", imageId: "sha256:img-gmail", state: { Status: "running", StartedAt: started } },
];
const images = [
  { id: "sha256:img-nginx", repoTags: ["nginx:1.30.0-alpine"], repoDigests: [`nginx@${DIGEST}`] },
  { id: "sha256:img-gmail", repoTags: ["mcp-platform/gmail:t"], repoDigests: [] },
];
const outputs = {
  networks: { frontend: "mcp-t-frontend", backend: "mcp-t-backend" },
  mcpServers: { gmail: { url: "http://127.0.0.1:8080/mcp", healthUrl: "http://127.0.0.1:8080/health", replicas: 3 } },
  dashboardUrl: "http://127.0.0.1:8083/dashboard",
};

let stub: EngineStub;
let tmp: string;
let outputsFile: string;
beforeAll(async () => {
  stub = await startEngineStub(containers, images);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "status-"));
  outputsFile = path.join(tmp, "outputs.json");
  fs.writeFileSync(outputsFile, JSON.stringify(outputs));
});
afterAll(async () => {
  await stub?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, (s) => (stdout += `${s}\n`), (s) => (stderr += `${s}\n`));
  return { code, stdout, stderr };
}
const row = (stdout: string, start: RegExp) => stdout.split("\n").find((l) => start.test(l)) ?? "";

describe("npm run status", () => {
  it("shows each service and replica of the stack: state, health, uptime, restarts, image digest, route", async () => {
    const { code, stdout } = await run(["--stack", "t", "--docker-host", stub.socket, "--outputs-file", outputsFile]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^service\s+replica\s+state\s+health\s+uptime\s+restarts\s+image\s+route$/m);
    expect(row(stdout, /^gateway /)).toMatch(/^gateway\s+-\s+running\s+healthy\s+3h 12m\s+0\s+nginx:1\.30\.0-alpine@sha256:abababababab\s+127\.0\.0\.1:8080, 127\.0\.0\.1:8083$/);
    expect(row(stdout, /^gmail\s+1 /)).toMatch(/running\s+healthy\s+3h 12m\s+2\s+mcp-platform\/gmail:t \(local, sha256:img-gmail\)\s+http:\/\/127\.0\.0\.1:8080\/mcp$/);
    expect(row(stdout, /^gmail\s+2 /)).toMatch(/running\s+unhealthy/);
    expect(row(stdout, /^gmail\s+3 /)).toMatch(/missing/);
    expect(row(stdout, /^neo4j /)).toMatch(/^neo4j\s+-\s+exited \(137\)\s+-\s+-\s+0\s+neo4j:5\.26@sha256:abababababab\s+internal$/);
    expect(stdout).toMatch(/2 of 5 running and healthy; not: gmail-2, neo4j, gmail-3/);
    // Only this stack's containers: the ones on its networks.
    const list = stub.requests.find((r) => r.includes("/containers/json"))!;
    expect(JSON.parse(new URL(list, "http://x").searchParams.get("filters")!)).toEqual({ network: ["mcp-t-frontend", "mcp-t-backend"] });
    expect(stub.requests.some((r) => r.includes("/containers/other/"))).toBe(false);
  });

  it("prints JSON rows with --json", async () => {
    const { stdout } = await run(["--stack", "t", "--docker-host", stub.socket, "--outputs-file", outputsFile, "--json"]);
    const rows = JSON.parse(stdout) as { service: string; ok: boolean }[];
    expect(rows.filter((r) => r.ok).map((r) => r.service)).toEqual(["gateway", "gmail"]);
  });

  it("says what is wrong, exit code 2: no --stack, no engine there, no outputs", async () => {
    expect(await run([])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^status: --stack <name> is required/) });
    expect((await run(["--help"])).stdout).toMatch(/^usage: npm run status -- --stack <name>/m);
    const gone = await run(["--stack", "t", "--docker-host", `unix://${tmp}/none.sock`, "--outputs-file", outputsFile]);
    expect(gone).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot reach the Docker engine at unix:\/\/.*none\.sock \(ENOENT\): is Docker running there/) });
    const missing = await run(["--stack", "t", "--outputs-file", path.join(tmp, "nope.json")]);
    expect(missing.stderr).toMatch(/the outputs file .*nope\.json does not exist: write it with `pulumi stack output --json --stack t > outputs\.json`/);
    fs.writeFileSync(path.join(tmp, "undeployed.json"), "{}");
    expect((await run(["--stack", "t", "--outputs-file", path.join(tmp, "undeployed.json")])).stderr).toMatch(/stack t has no networks output: has it been deployed/);
  });

  it("reaches an ssh:// Docker host through the system's ssh running `docker system dial-stdio`", async () => {
    // A stand-in ssh on PATH: records its arguments and carries stdin/stdout to the stub's socket, as
    // `docker system dial-stdio` does on the remote host.
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin, { recursive: true });
    const argsFile = path.join(tmp, "ssh-args");
    fs.writeFileSync(
      path.join(bin, "ssh"),
      `#!/bin/sh\nprintf '%s\\n' "$@" >> ${argsFile}\nexec node -e 'const s=require("net").connect(process.argv[1]);process.stdin.pipe(s);s.pipe(process.stdout)' ${stub.socket.slice("unix://".length)}\n`,
      { mode: 0o755 },
    );
    const child = spawn("npx", ["--no", "tsx", "components/operate/status.ts", "--stack", "t", "--docker-host", "ssh://deploy@docker.example.com:2222", "--outputs-file", outputsFile], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(stdout).toMatch(/^stack t on ssh:\/\/deploy@docker\.example\.com:2222 \(host mode\)/);
    expect(row(stdout, /^gateway /)).toMatch(/running\s+healthy/);
    expect(code).toBe(1);
    expect(fs.readFileSync(argsFile, "utf8").split("\n").slice(0, 9)).toEqual(["-o", "BatchMode=yes", "-p", "2222", "--", "deploy@docker.example.com", "docker", "system", "dial-stdio"]);
  });
});

describe("the stack context", () => {
  it("takes dockerHost and mode from the stack file, as pulumi up does, and the outputs' networks", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackfile-"));
    try {
      fs.writeFileSync(path.join(dir, "Pulumi.remote.yaml"), "config:\n  mcp-platform:dockerHost: ssh://deploy@host.example.com\n  mcp-platform:mode: swarm\n");
      fs.writeFileSync(path.join(dir, "out.json"), JSON.stringify(outputs));
      const ctx = loadStack({ stack: "remote", outputsFile: path.join(dir, "out.json"), projectDir: dir });
      expect(ctx).toMatchObject({ dockerHost: "ssh://deploy@host.example.com", mode: "swarm", outputs: { networks: outputs.networks } });
      expect(loadStack({ stack: "other", outputsFile: path.join(dir, "out.json"), projectDir: dir }).dockerHost).toBe("unix:///var/run/docker.sock");
      expect(loadStack({ stack: "remote", outputsFile: path.join(dir, "out.json"), projectDir: dir, dockerHost: "unix:///x.sock" }).dockerHost).toBe("unix:///x.sock");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("status rows", () => {
  const ctx: StackContext = { stack: "t", dockerHost: "unix:///x", mode: "host", outputs: { ...outputs } };
  const base: WorkloadFacts = { service: "rag", component: "mcp-server", replica: 1, state: "running", restarts: 0, image: "r:1", published: [] };

  it("orders gateway, servers, monitor, data; a replica without healthcheck that runs is ok", () => {
    const rows = statusRows({ ...ctx, outputs: { ...outputs, mcpServers: {} } }, [
      { ...base, service: "neo4j", component: "neo4j", replica: undefined },
      { ...base, startedAt: new Date(1_000_000).toISOString() },
      { ...base, service: "gateway", component: "gateway", replica: undefined },
    ], 1_000_000 + 59_000);
    expect(rows.map((r) => r.service)).toEqual(["gateway", "rag", "neo4j"]);
    expect(rows[1]).toMatchObject({ uptime: "59s", health: "-", ok: true });
  });

  it("formats durations", () => {
    expect([5_000, 125_000, 3 * 3600_000 + 60_000, 2 * 86400_000 + 3600_000].map(formatDuration)).toEqual(["5s", "2m 5s", "3h 1m", "2d 1h"]);
  });
});

describe("connection problems, in words", () => {
  it("names a Docker host that is not a Swarm manager when the stack is in swarm mode", async () => {
    const { connectionProblem } = await import("../../../components/operate/docker");
    expect(connectionProblem("ssh://deploy@worker", new Error("(HTTP code 503) unexpected - This node is not a swarm manager. Use \"docker swarm init\"…"))).toBe(
      "the Docker engine at ssh://deploy@worker is not a Swarm manager, but the stack's mode is swarm: point dockerHost at a manager (docker node ls lists them)",
    );
    expect(connectionProblem("tcp://h:2376", new Error("x"))).toBe("the Docker engine at tcp://h:2376 failed: x");
  });
});
