// The HTTP healthchecks (components/container/spec.ts), the bash one run for real: bash against an HTTP
// server on loopback, healthy on a 2xx status only, unhealthy when refused or unanswered, and far
// lighter than the Node check it replaces in the monitor (its ~50 MB got a 128 MB monitor OOM-killed).
import { execFile, execFileSync } from "child_process";
import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpHealthcheck } from "../../../components/container/spec";
import { skipOrFail } from "../../harness/tools";

const hasBash = (() => {
  try {
    execFileSync("bash", ["-c", "true"]);
    return true;
  } catch {
    return false;
  }
})();

// Runs a healthcheck's CMD as Docker does (no shell around it): its exit status and how long it took.
function runCheck(test: string[]): Promise<{ status: number; seconds: number }> {
  expect(test[0]).toBe("CMD");
  const started = Date.now();
  return new Promise((resolve) =>
    execFile(test[1]!, test.slice(2), { timeout: 10_000 }, (err) =>
      resolve({ status: err ? (typeof err.code === "number" ? err.code : 255) : 0, seconds: (Date.now() - started) / 1000 }),
    ),
  );
}

describe("httpHealthcheck", () => {
  it("gives each tool's command for the URL on loopback", () => {
    expect(httpHealthcheck(8080, "/health").test).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]);
    expect(httpHealthcheck(8083, "/health", "node").test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(httpHealthcheck(8083, "/health", "bash").test.slice(0, 3)).toEqual(["CMD", "bash", "-c"]);
    expect(httpHealthcheck(8083, "/health", "bash").test[3]).toContain("/dev/tcp/127.0.0.1/8083");
  });

  describe("bash, run against a real HTTP server", () => {
    let status = 200;
    let answer = true;
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      if (!answer) return; // accepted, never answered
      res.writeHead(status).end("ok");
    });
    let port = 0;
    beforeAll(async () => {
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => {
      server.closeAllConnections();
      server.close();
    });
    const check = () => runCheck(httpHealthcheck(port, "/health", "bash").test);

    it("is healthy on a 2xx answer to GET of the path, and not on any other status", async (ctx) => {
      skipOrFail(ctx, hasBash ? undefined : "bash is not installed");
      for (const [s, healthy] of [[200, true], [204, true], [301, false], [404, false], [500, false], [503, false]] as const) {
        status = s;
        expect((await check()).status === 0, `HTTP ${s}`).toBe(healthy);
      }
      expect(paths.at(-1)).toBe("GET /health");
    });

    it("is unhealthy when the port refuses, and when the server never answers (within its own 4 s)", async (ctx) => {
      skipOrFail(ctx, hasBash ? undefined : "bash is not installed");
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise((r) => closed.close(r));
      expect((await runCheck(httpHealthcheck(closedPort, "/health", "bash").test)).status).not.toBe(0);
      answer = false;
      const hung = await check();
      answer = true;
      expect(hung.status).not.toBe(0);
      expect(hung.seconds).toBeLessThan(6);
    }, 15_000);

    it("takes a few MB where the Node check takes tens (peak memory of one run, GNU time)", async (ctx) => {
      const time = "/usr/bin/time";
      let hasTime = true;
      try {
        execFileSync(time, ["-f", "%M", "true"], { stdio: "ignore" });
      } catch {
        hasTime = false;
      }
      skipOrFail(ctx, !hasBash ? "bash is not installed" : hasTime ? undefined : "GNU time (/usr/bin/time) is not installed");
      status = 200;
      // Asynchronously: the server answering the check runs in this process.
      const peakKb = (test: string[]) =>
        new Promise<number>((resolve, reject) =>
          execFile(time, ["-f", "%M", ...test.slice(1)], { timeout: 10_000 }, (err, _out, stderr) => (err ? reject(err) : resolve(Number(stderr.trim().split("\n").pop())))),
        );
      const bashKb = await peakKb(httpHealthcheck(port, "/health", "bash").test);
      const nodeKb = await peakKb(httpHealthcheck(port, "/health", "node").test);
      expect(bashKb).toBeLessThan(10_000);
      expect(nodeKb).toBeGreaterThan(5 * bashKb);
    });
  });
});
