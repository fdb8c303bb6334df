// The load generator's own accounting (test/e2e/lib/load.ts): a failure is counted once, with its cause;
// the schedule skips what it missed instead of bursting; and, against a real MCP server of the SDK on
// loopback, each way a request fails is named (HTTP status, reset, timeout, tool error) and a client whose
// session is gone initialises again.
import { randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, isInitializeRequest, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { causeOf, describeSummary, LoadGenerator, Pacer, quantile, Recorder, REPLICA_HEADER, ToolError } from "./load";

describe("Recorder", () => {
  it("counts a request once: its first end wins, a later success or failure is ignored", () => {
    const r = new Recorder();
    const a = r.begin("gmail", 0, "tools/call", 1000, "gmail-1");
    a.fail(1010, "http 502");
    a.fail(1020, "timeout");
    a.succeed(1030);
    const b = r.begin("gmail", 1, "tools/list", 1000);
    b.succeed(1005);
    b.fail(1050, "timeout");
    const s = r.summary();
    expect([s.sent, s.ok, s.failed]).toEqual([2, 1, 1]);
    expect(s.byCause).toEqual({ "http 502": 1 });
    expect(s.failures).toEqual([{ target: "gmail", client: 0, op: "tools/call", start: 1000, end: 1010, replica: "gmail-1", cause: "http 502" }]);
    expect(a.settled && b.settled).toBe(true);
  });

  it("summarises a window by start time, with latency over the successes only", () => {
    const r = new Recorder();
    for (let i = 0; i < 100; i++) r.begin("rag", 0, "tools/list", i * 10).succeed(i * 10 + (i < 99 ? 5 : 500));
    r.begin("rag", 0, "tools/list", 2000).fail(9000, "timeout");
    r.skip(50, 3);
    expect(r.summary().latencyMs).toEqual({ p50: 5, p99: 5, max: 500 });
    const w = r.summary(0, 500);
    expect([w.sent, w.failed, w.skipped]).toEqual([50, 0, 3]);
    const late = r.summary(1500);
    expect([late.sent, late.failed, late.byTarget.rag]).toEqual([1, 1, { ok: 0, failed: 1 }]);
  });

  it("takes quantiles by nearest rank", () => {
    expect(quantile([], 0.99)).toBe(0);
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile(Array.from({ length: 200 }, (_, i) => i + 1), 0.99)).toBe(198);
  });
});

describe("Pacer", () => {
  it("gives one slot per interval when on time", () => {
    const p = new Pacer(50, 0);
    expect(p.take(0)).toEqual({ send: 1, skipped: 0, nextAt: 20 });
    expect(p.take(10).send).toBe(0);
    expect(p.take(20).send).toBe(1);
    expect(p.take(41)).toEqual({ send: 1, skipped: 0, nextAt: 60 });
  });

  it("does not burst the slots it missed when it falls behind: it sends at most maxBurst and skips the rest", () => {
    const p = new Pacer(50, 0, 2);
    p.take(0);
    // 1 s late: 50 slots were due.
    expect(p.take(1000)).toEqual({ send: 2, skipped: 48, nextAt: 1020 });
    // Back on schedule from there, without a debt.
    expect(p.take(1020)).toEqual({ send: 1, skipped: 0, nextAt: 1040 });
  });

  it("refuses a rate that is not positive", () => {
    expect(() => new Pacer(0, 0)).toThrow(/rate must be positive/);
  });
});

describe("causeOf", () => {
  const net = (code: string) => new TypeError("fetch failed", { cause: Object.assign(new Error("socket"), { code }) });
  it("names each failure by one cause", () => {
    expect(causeOf(new StreamableHTTPError(404, "Error POSTing to endpoint: session not found"))).toBe("http 404");
    expect(causeOf(new StreamableHTTPError(502, "bad gateway"))).toBe("http 502");
    expect(causeOf(new McpError(ErrorCode.RequestTimeout, "Request timed out"))).toBe("timeout");
    expect(causeOf(new McpError(ErrorCode.InternalError, "boom"))).toBe(`mcp ${ErrorCode.InternalError}`);
    expect(causeOf(net("ECONNRESET"))).toBe("reset");
    expect(causeOf(net("UND_ERR_SOCKET"))).toBe("reset");
    expect(causeOf(net("ECONNREFUSED"))).toBe("refused");
    expect(causeOf(net("UND_ERR_CONNECT_TIMEOUT"))).toBe("timeout");
    expect(causeOf(new ToolError("database connection failed"))).toBe("tool error");
    expect(causeOf(new Error("something\nelse"))).toBe("other: something");
  });
});

// A real MCP server of the SDK, sessions in memory, whose behaviour a test switches.
interface Behaviour {
  mode: "ok" | "503" | "reset" | "hang" | "forget-sessions" | "tool-error";
  // Answers an unknown session's 404 only after this long, so that a client has several requests of the
  // lost session in flight.
  slow404Ms?: number;
}
async function mcpServer(b: Behaviour): Promise<{ url: string; close(): Promise<void>; initializes: () => number; versions: string[] }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let initializes = 0;
  const versions: string[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown) : undefined;
      res.setHeader(REPLICA_HEADER, "stub-1");
      const init = req.method === "POST" && isInitializeRequest(body);
      if (!init && req.method === "POST") {
        if (b.mode === "503") return void res.writeHead(503, { "content-type": "text/plain" }).end("no server");
        if (b.mode === "reset") return void req.socket.destroy();
        if (b.mode === "hang") return;
        if (b.mode === "forget-sessions") {
          sessions.clear();
          b.mode = "ok";
        }
      }
      const id = req.headers["mcp-session-id"];
      let t = typeof id === "string" ? sessions.get(id) : undefined;
      if (!t) {
        if (!init && b.slow404Ms) await new Promise((r) => setTimeout(r, b.slow404Ms));
        if (!init) return void res.writeHead(404, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}');
        initializes++;
        versions.push((body as { params: { protocolVersion: string } }).params.protocolVersion);
        const created = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, enableJsonResponse: true, onsessioninitialized: (s) => void sessions.set(s, created) });
        const mcp = new McpServer({ name: "stub", version: "0.0.0" });
        mcp.registerTool("whoami", { inputSchema: {} }, async () => ({ content: [{ type: "text", text: "stub-1" }], isError: b.mode === "tool-error" }));
        await mcp.connect(created);
        t = created;
      }
      await t.handleRequest(req, res, body);
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    initializes: () => initializes,
    versions,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("LoadGenerator against a real MCP server on loopback", () => {
  let closeServer: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await closeServer?.();
    closeServer = undefined;
  });

  async function drive(b: Behaviour, change: (b: Behaviour) => void, opts: { timeoutMs?: number } = {}) {
    const s = await mcpServer(b);
    closeServer = s.close;
    const load = new LoadGenerator({
      targets: [{ name: "stub", url: s.url, headers: {}, tool: { name: "whoami" } }],
      clientsPerTarget: 2,
      ratePerSecond: 40,
      requestTimeoutMs: opts.timeoutMs ?? 5000,
    });
    load.start();
    expect(await load.settled(0, 10_000)).toBe(true);
    const changed = load.mark("change");
    change(b);
    // Let every client make a few requests in the new mode, then go back.
    await new Promise((r) => setTimeout(r, 400));
    b.mode = "ok";
    expect(await load.settled(Date.now(), 15_000)).toBe(true);
    const summary = await load.stop();
    return { summary, during: load.summary(changed), initializes: s.initializes(), versions: s.versions, load };
  }

  it("records successes with the replica that answered, and asks for each protocol revision in turn", async () => {
    const { summary, load, versions } = await drive({ mode: "ok" }, () => {});
    expect([summary.failed, summary.lostSessions.length]).toEqual([0, 0]);
    expect(versions.sort()).toEqual(["2025-06-18", "2025-11-25"]);
    expect(summary.byTarget.stub!.ok).toBeGreaterThan(4);
    expect(new Set(summary.failures.map((f) => f.replica))).toEqual(new Set());
    expect(load.recorder.outcomes.filter((o) => o.op !== "initialize").every((o) => o.replica === "stub-1")).toBe(true);
  });

  it("names a 503 as its HTTP status, keeps the session, and recovers", async () => {
    const { during, initializes } = await drive({ mode: "ok" }, (b) => (b.mode = "503"));
    expect(during.failed).toBeGreaterThan(0);
    expect(Object.keys(during.byCause)).toEqual(["http 503"]);
    expect(initializes).toBe(2);
  });

  it("names a connection the server drops as a reset", async () => {
    const { during } = await drive({ mode: "ok" }, (b) => (b.mode = "reset"));
    expect(during.failed).toBeGreaterThan(0);
    expect(Object.keys(during.byCause)).toEqual(["reset"]);
  });

  it("names a request without an answer as a timeout, once; after two in a row the client starts a new session", async () => {
    const { during, initializes } = await drive({ mode: "ok" }, (b) => (b.mode = "hang"), { timeoutMs: 300 });
    expect(during.failed).toBeGreaterThan(0);
    expect(Object.keys(during.byCause)).toEqual(["timeout"]);
    expect(initializes).toBeGreaterThan(2);
    // Given up by the client's own timer rather than left hanging (a loose bound: a loaded machine is slow).
    expect(during.failures.every((f) => f.end - f.start < 5000)).toBe(true);
  });

  it("counts a lost session (404) once per client, apart from failures: the client initialises again and re-sends", async () => {
    const { during, initializes } = await drive({ mode: "ok" }, (b) => (b.mode = "forget-sessions"));
    expect(during.failed, describeSummary(during)).toBe(0);
    expect(during.lostSessions.map((l) => [l.target, l.replica]).sort()).toEqual([["stub", "stub-1"], ["stub", "stub-1"]]);
    expect(new Set(during.lostSessions.map((l) => l.client)).size).toBe(2);
    expect(initializes).toBe(4);
    expect(during.sent - during.failed).toBeGreaterThan(2);
  });

  it("counts a lost session once even when several of its requests learn it, and sends each again on the new session", async () => {
    const { during, initializes } = await drive({ mode: "ok", slow404Ms: 150 }, (b) => (b.mode = "forget-sessions"));
    expect(during.failed, describeSummary(during)).toBe(0);
    expect(during.lostSessions).toHaveLength(2);
    expect(initializes).toBe(4);
  });

  it("counts a tool's isError answer as a failed request", async () => {
    const { during } = await drive({ mode: "ok" }, (b) => (b.mode = "tool-error"));
    expect(during.failed).toBeGreaterThan(0);
    expect(Object.keys(during.byCause)).toEqual(["tool error"]);
  });
});
