import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, parseSince } from "../../../components/operate/logs";
import { startEngineStub, type EngineStub, type StubContainer } from "./engine-stub";

const running = { Status: "running", StartedAt: new Date().toISOString() };
const containers: StubContainer[] = [
  { id: "g1", labels: { service: "gmail", component: "mcp-server", "dev.mcp-platform.replica": "1" }, networks: ["mcp-t-frontend"], image: "x", imageId: "x",
    state: running, logs: [[1, "one: started"], [2, "one: warning"], [1, "one: ready"]] },
  { id: "g2", labels: { service: "gmail", component: "mcp-server", "dev.mcp-platform.replica": "2" }, networks: ["mcp-t-frontend"], image: "x", imageId: "x",
    state: running, logs: [[1, "two: ready"]] },
  { id: "n", labels: { service: "neo4j", component: "neo4j" }, networks: ["mcp-t-backend"], image: "x", imageId: "x", state: running, logs: [[1, "Started."]] },
  { id: "p", labels: { service: "gmail", component: "mcp-server", "dev.mcp-platform.replica": "1" }, networks: ["mcp-prod-frontend"], image: "x", imageId: "x",
    state: running, logs: [[1, "prod line"]] },
];

let stub: EngineStub;
let tmp: string;
let base: string[];
beforeAll(async () => {
  stub = await startEngineStub(containers, []);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "logs-"));
  fs.writeFileSync(path.join(tmp, "outputs.json"), JSON.stringify({ networks: { frontend: "mcp-t-frontend", backend: "mcp-t-backend" }, mcpServers: {} }));
  base = ["--stack", "t", "--docker-host", stub.socket, "--outputs-file", path.join(tmp, "outputs.json")];
});
afterAll(async () => {
  await stub?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function run(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, (s) => (stdout += s), (s) => (stderr += s));
  return { code, stdout, stderr };
}

describe("npm run logs", () => {
  it("prints every replica's lines, prefixed with the replica, stdout and stderr apart, and no other stack's", async () => {
    const { code, stdout, stderr } = await run([...base, "gmail"]);
    expect(code, stderr).toBe(0);
    expect(stdout.split("\n").filter(Boolean).sort()).toEqual(["gmail-1 | one: ready", "gmail-1 | one: started", "gmail-2 | two: ready"]);
    expect(stderr).toBe("gmail-1 | one: warning\n");
    expect(stdout).not.toMatch(/prod line/);
    expect(stub.requests.filter((r) => r.includes("/logs")).every((r) => /tail=200/.test(r))).toBe(true);
  });

  it("prints a single container's lines as they are, with --tail", async () => {
    const { code, stdout } = await run([...base, "neo4j", "--tail", "all"]);
    expect(code).toBe(0);
    expect(stdout).toBe("Started.\n");
  });

  it("--follow keeps printing new lines", async () => {
    let stdout = "";
    const done = main([...base, "neo4j", "--follow"], (s) => (stdout += s), () => undefined);
    await expect.poll(() => stdout).toBe("Started.\n");
    stub.pushLog("n", 1, "a new line");
    await expect.poll(() => stdout).toBe("Started.\na new line\n");
    await stub.close();
    expect(await done).toBe(0);
    stub = await startEngineStub(containers, []);
    base[3] = stub.socket;
  });

  it("names the services it has when asked for one it has not, exit code 2", async () => {
    const { code, stderr } = await run([...base, "gmial"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^logs: stack t has no service gmial on unix:\/\/.*; its services: gmail, neo4j\n$/);
  });

  it("says what is wrong with its arguments", async () => {
    expect((await run([...base])).stderr).toMatch(/^logs: name one service, e\.g\. npm run logs -- --stack dev gmail/);
    expect((await run(["gmail"])).stderr).toMatch(/^logs: --stack <name> is required/);
    expect((await run([...base, "gmail", "--tail", "many"])).stderr).toMatch(/--tail must be a number of lines or "all" \(got "many"\)/);
    expect((await run([...base, "gmail", "--since", "yesterday"])).stderr).toMatch(/--since must be a duration such as 10m/);
    expect((await run(["--help"])).stdout).toMatch(/^usage: npm run logs -- --stack <name> <service> \[--follow\]/m);
  });

  it("reads --since as a duration or a date", () => {
    const now = Date.parse("2026-12-02T10:00:00Z");
    expect(parseSince("10m", now)).toBe(now / 1000 - 600);
    expect(parseSince("2026-12-02T09:00:00Z", now)).toBe(now / 1000 - 3600);
  });
});
