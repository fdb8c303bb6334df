// A load generator that speaks MCP through the gateway, for the drills (test/e2e/drills.e2e.ts): N clients
// of the MCP TypeScript SDK (Streamable HTTP), each with a session of its own, calling tools/list and a
// cheap tool at a steady aggregate rate spread over every target. Every request is recorded once: its
// latency, the replica that answered (the gateway's x-mcp-platform-replica header), or its failure with
// one cause (HTTP status, reset, refused, timeout, MCP error, tool error). A client whose session is gone
// (404) initialises again and re-sends, as the spec tells a client to; the lost session is counted apart.
//
// The accounting (Recorder, Pacer, causeOf, quantile) is pure and unit-tested in load.test.ts next to it, part of `npm test`.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from "undici";

export const REPLICA_HEADER = "x-mcp-platform-replica";

// ---- accounting -------------------------------------------------------------------------------------

export type Operation = "initialize" | "tools/list" | "tools/call";

export interface Outcome {
  target: string;
  client: number;
  op: Operation;
  // Milliseconds since the epoch (Date.now()) at the request's start and end.
  start: number;
  end: number;
  // The replica that held the client's session when the request was sent (undefined before the first answer).
  replica?: string;
  // Undefined for a success.
  cause?: string;
}

// One request in flight; its first end (success or failure) counts, any later one is ignored, so a
// request that fails twice (e.g. its stream breaks, then its timer fires) is one failed request.
export interface Pending {
  succeed(end: number): void;
  fail(end: number, cause: string): void;
  readonly settled: boolean;
}

export interface LostSession {
  target: string;
  client: number;
  // The replica that held it.
  replica?: string;
  at: number;
}

export interface Summary {
  sent: number;
  ok: number;
  failed: number;
  // Requests the pacer left out because the generator fell behind (not sent, not failures).
  skipped: number;
  byCause: Record<string, number>;
  lostSessions: LostSession[];
  byTarget: Record<string, { ok: number; failed: number }>;
  latencyMs: { p50: number; p99: number; max: number };
  failures: Outcome[];
}

// The q-quantile (0..1) of the values, nearest rank; 0 for none.
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export class Recorder {
  readonly outcomes: Outcome[] = [];
  // Skipped slots, by the time they were due.
  readonly skippedAt: number[] = [];
  // Sessions the server no longer knew (404), after which the client initialised again.
  readonly lostSessions: LostSession[] = [];

  loseSession(l: LostSession): void {
    this.lostSessions.push(l);
  }

  begin(target: string, client: number, op: Operation, start: number, replica?: string): Pending {
    let settled = false;
    const settle = (end: number, cause?: string) => {
      if (settled) return;
      settled = true;
      this.outcomes.push({ target, client, op, start, end, replica, ...(cause !== undefined ? { cause } : {}) });
    };
    return {
      succeed: (end) => settle(end),
      fail: (end, cause) => settle(end, cause),
      get settled() {
        return settled;
      },
    };
  }

  skip(at: number, count: number): void {
    for (let i = 0; i < count; i++) this.skippedAt.push(at);
  }

  // Requests sent in [from, to) (all when omitted); latency over the successful ones.
  summary(from = -Infinity, to = Infinity): Summary {
    const inWindow = this.outcomes.filter((o) => o.start >= from && o.start < to);
    const failures = inWindow.filter((o) => o.cause !== undefined);
    const byCause: Record<string, number> = {};
    for (const f of failures) byCause[f.cause!] = (byCause[f.cause!] ?? 0) + 1;
    const byTarget: Record<string, { ok: number; failed: number }> = {};
    for (const o of inWindow) {
      const t = (byTarget[o.target] ??= { ok: 0, failed: 0 });
      if (o.cause === undefined) t.ok++;
      else t.failed++;
    }
    const latencies = inWindow.filter((o) => o.cause === undefined).map((o) => o.end - o.start);
    return {
      sent: inWindow.length,
      ok: inWindow.length - failures.length,
      failed: failures.length,
      skipped: this.skippedAt.filter((t) => t >= from && t < to).length,
      byCause,
      lostSessions: this.lostSessions.filter((l) => l.at >= from && l.at < to),
      byTarget,
      latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.length ? Math.max(...latencies) : 0 },
      failures,
    };
  }
}

// A steady schedule: one slot every 1000/rate ms from `start`. When the caller falls behind (a blocked
// event loop, a slow machine), it gets at most `maxBurst` slots at once and the rest are skipped and
// counted: sending every missed request at once would be a burst the drill did not ask for, and would
// trip the gateway's rate limit or queue behind itself.
export class Pacer {
  private next: number;
  readonly intervalMs: number;

  constructor(
    ratePerSecond: number,
    start: number,
    private readonly maxBurst = 2,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`rate must be positive, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
    this.next = start;
  }

  // Slots due at `now`: how many to send, how many were skipped, and when the next one is due.
  take(now: number): { send: number; skipped: number; nextAt: number } {
    if (now < this.next) return { send: 0, skipped: 0, nextAt: this.next };
    const due = Math.floor((now - this.next) / this.intervalMs) + 1;
    const send = Math.min(due, this.maxBurst);
    this.next += due * this.intervalMs;
    return { send, skipped: due - send, nextAt: this.next };
  }
}

// The cause of a failed request, in a few words a drill can assert on.
export function causeOf(e: unknown): string {
  if (e instanceof McpError) {
    if (e.code === (ErrorCode.RequestTimeout as number)) return "timeout";
    return `mcp ${e.code}`;
  }
  if (e instanceof StreamableHTTPError) {
    if (e.code !== undefined && e.code >= 100 && e.code <= 599) return `http ${e.code}`;
    return `transport: ${firstLine(e.message)}`;
  }
  // Network errors: undici's fetch throws a TypeError whose cause (or its cause) names the socket error.
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    const name = (c as { name?: unknown }).name;
    if (code === "ECONNREFUSED") return "refused";
    if (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET" || code === "UND_ERR_CLOSED") return "reset";
    if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "ETIMEDOUT") return "timeout";
    if (name === "TimeoutError" || name === "AbortError") return "timeout";
  }
  if (e instanceof ToolError) return "tool error";
  return `other: ${firstLine(e instanceof Error ? e.message : String(e))}`;
}

const firstLine = (s: string) => s.split("\n")[0]!.slice(0, 120);

// A tool answered, but with isError (or the target's own check refused its answer).
export class ToolError extends Error {}

// ---- the generator ----------------------------------------------------------------------------------

export interface LoadTarget {
  // Name in reports (the service).
  name: string;
  // The MCP endpoint through the gateway.
  url: string;
  headers: Record<string, string>;
  // A cheap tool and its arguments; `check` refuses an answer that is not a success (e.g. a status tool
  // that reports its database down).
  tool: { name: string; arguments?: Record<string, unknown>; check?: (text: string) => boolean };
}

export interface LoadOptions {
  targets: LoadTarget[];
  clientsPerTarget: number;
  // Requests per second over all clients.
  ratePerSecond: number;
  // The gateway's certificate (PEM) to trust.
  ca?: string;
  requestTimeoutMs?: number;
  // Protocol revisions the clients ask for in initialize, in turn (client i gets revisions[i % n]).
  protocolVersions?: string[];
}

class LoadClient {
  private client?: Client;
  private transport?: StreamableHTTPClientTransport;
  private connecting?: Promise<void>;
  // The replica that answered this client's last request (its session's, once initialised).
  replica?: string;
  private turn = 0;
  // Counts the sessions this client has had: a request knows which one it was sent on.
  private session = 0;
  // Requests of this session that timed out in a row.
  private timeouts = 0;
  readonly agent: Agent;

  constructor(
    readonly index: number,
    readonly target: LoadTarget,
    private readonly recorder: Recorder,
    private readonly opts: Required<Pick<LoadOptions, "requestTimeoutMs">> & { ca?: string; protocolVersion: string },
  ) {
    // Its own connection pool, as a separate client would have.
    this.agent = new Agent({ connect: { ca: opts.ca }, keepAliveTimeout: 30_000 });
  }

  // Rewrites the protocol revision an initialize asks for (the SDK always asks for its latest) and notes
  // which replica answered.
  private fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    let body = init?.body;
    if (typeof body === "string" && body.includes('"method":"initialize"'))
      body = body.replace(/"protocolVersion":"[^"]*"/, `"protocolVersion":"${this.opts.protocolVersion}"`);
    const res = await undiciFetch(url, { ...(init as UndiciRequestInit), body: body as UndiciRequestInit["body"], dispatcher: this.agent });
    const replica = res.headers.get(REPLICA_HEADER);
    if (replica && init?.method === "POST") this.replica = replica;
    return res as unknown as Response;
  };

  private async connect(): Promise<void> {
    const transport = new StreamableHTTPClientTransport(new URL(this.target.url), {
      fetch: this.fetch,
      requestInit: { headers: this.target.headers },
      // A broken GET stream is not a request of the drill; reconnecting it is the SDK's business.
      reconnectionOptions: { initialReconnectionDelay: 500, maxReconnectionDelay: 2000, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
    });
    const client = new Client({ name: `mcp-platform-load-${this.target.name}-${this.index}`, version: "1.0.0" });
    client.onerror = () => {};
    // The handshake as a whole is bounded too: the SDK times out `initialize` but not the
    // notifications/initialized POST after it, and a server that never answers that POST would leave this
    // client initialising for ever.
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new McpError(ErrorCode.RequestTimeout, "initialization timed out")), 2 * this.opts.requestTimeoutMs);
    });
    try {
      await Promise.race([client.connect(transport, { timeout: this.opts.requestTimeoutMs }), limit]);
    } catch (e) {
      void transport.close().catch(() => {});
      throw e;
    } finally {
      clearTimeout(timer);
    }
    this.client = client;
    this.transport = transport;
  }

  // Drops the session: the next turn initialises again.
  private drop(): void {
    // The session is over from here: a request sent on it that fails later does not end the next one.
    this.session++;
    this.timeouts = 0;
    const t = this.transport;
    this.client = undefined;
    this.transport = undefined;
    this.replica = undefined;
    void t?.close().catch(() => {});
  }

  // Initialises a session (once at a time: a turn that finds one under way leaves its slot out).
  private initialize(): Promise<void> {
    if (this.client && !this.connecting) return Promise.resolve();
    this.connecting ??= this.connect()
      .catch((e: unknown) => {
        this.drop();
        throw e;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async request(op: Exclude<Operation, "initialize">): Promise<void> {
    const client = this.client;
    if (!client) throw new Error("no session");
    if (op === "tools/list") {
      await client.listTools(undefined, { timeout: this.opts.requestTimeoutMs });
      return;
    }
    const r = await client.callTool({ name: this.target.tool.name, arguments: this.target.tool.arguments ?? {} }, undefined, { timeout: this.opts.requestTimeoutMs });
    const text = ((r.content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? "").join("\n");
    if (r.isError || (this.target.tool.check && !this.target.tool.check(text))) throw new ToolError(text.slice(0, 200));
  }

  // One slot of the schedule: initialise if there is no session, else tools/list or the tool, in turn.
  // A 404 means the session is gone (its replica was replaced or restarted): as the spec asks, the client
  // initialises a new session and sends the request again, once. The request then counts as answered,
  // and the lost session is recorded on its own.
  async tick(): Promise<void> {
    const start = Date.now();
    if (!this.client) {
      // Still initialising: this slot would be a second initialize; it is left out, and counted so.
      if (this.connecting) return void this.recorder.skip(start, 1);
      const pending = this.recorder.begin(this.target.name, this.index, "initialize", start, this.replica);
      return this.initialize().then(
        () => pending.succeed(Date.now()),
        (e: unknown) => pending.fail(Date.now(), causeOf(e)),
      );
    }
    const op: Exclude<Operation, "initialize"> = this.turn++ % 2 === 0 ? "tools/call" : "tools/list";
    const replica = this.replica;
    const session = this.session;
    const pending = this.recorder.begin(this.target.name, this.index, op, start, replica);
    const timer = setTimeout(() => pending.fail(Date.now(), "timeout"), 2 * this.opts.requestTimeoutMs + 1000);
    try {
      await this.request(op);
      this.timeouts = 0;
      pending.succeed(Date.now());
    } catch (e) {
      let cause = causeOf(e);
      // A request still in flight on a session the client has just dropped ends with "connection closed":
      // it learnt nothing new, and is sent again on the new session like the one that got the 404.
      const dropped = this.session !== session && cause === `mcp ${ErrorCode.ConnectionClosed}`;
      if (cause === "http 404" || dropped) {
        // The first request to learn that the session is gone starts a new one; any other request of the
        // same session waits for that one, and each is sent again on it.
        if (this.session === session) {
          this.recorder.loseSession({ target: this.target.name, client: this.index, replica, at: Date.now() });
          this.drop();
        }
        try {
          await this.initialize();
          await this.request(op);
          pending.succeed(Date.now());
          return;
        } catch (again) {
          cause = causeOf(again);
        }
      }
      pending.fail(Date.now(), cause);
      // A session whose requests keep going unanswered is given up, as a client would: FastMCP (1.22) can
      // leave a session that way after a cancelled request, answering none of its later requests.
      if (cause === "timeout" && ++this.timeouts >= 2 && this.session === session) this.drop();
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const t = this.transport;
    this.client = undefined;
    this.transport = undefined;
    await t?.terminateSession().catch(() => {});
    await t?.close().catch(() => {});
    await this.agent.close().catch(() => {});
  }
}

export class LoadGenerator {
  readonly recorder = new Recorder();
  readonly clients: LoadClient[] = [];
  private timer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();
  private slot = 0;
  private marks: Record<string, number> = {};

  constructor(private readonly opts: LoadOptions) {
    const versions = opts.protocolVersions ?? ["2025-11-25", "2025-06-18"];
    for (const target of opts.targets)
      for (let i = 0; i < opts.clientsPerTarget; i++)
        this.clients.push(
          new LoadClient(this.clients.length, target, this.recorder, {
            ca: opts.ca,
            requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
            protocolVersion: versions[this.clients.length % versions.length]!,
          }),
        );
  }

  // Starts the schedule; each slot goes to the next client in turn (so every target gets its share).
  start(): void {
    const pacer = new Pacer(this.opts.ratePerSecond, Date.now());
    const loop = () => {
      const now = Date.now();
      const { send, skipped, nextAt } = pacer.take(now);
      if (skipped) this.recorder.skip(now, skipped);
      for (let i = 0; i < send; i++) {
        const client = this.clients[this.slot++ % this.clients.length]!;
        const p = client.tick().finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
      this.timer = setTimeout(loop, Math.max(0, nextAt - Date.now()));
    };
    loop();
  }

  // Time marks for windows of the report (e.g. the start and end of a change).
  mark(name: string): number {
    return (this.marks[name] = Date.now());
  }

  // Waits until every client has had a successful request since `since` (all sessions are up).
  async settled(since: number, timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ok = new Set(this.recorder.outcomes.filter((o) => o.cause === undefined && o.start >= since).map((o) => o.client));
      if (ok.size === this.clients.length) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  summary(from?: number, to?: number): Summary {
    return this.recorder.summary(from, to);
  }

  // Stops the schedule, waits for the requests in flight, and closes every session.
  async stop(): Promise<Summary> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(this.clients.map((c) => c.close()));
    return this.recorder.summary();
  }
}

// A summary in one line, for figures and assertion messages.
export function describeSummary(s: Summary): string {
  const causes = Object.entries(s.byCause)
    .map(([c, n]) => `${c}×${n}`)
    .join(", ");
  const first = s.failures
    .slice(0, 8)
    // When it ended (UTC, to the millisecond): to be found in the gateway's and the replicas' logs.
    .map((f) => `${f.target}#${f.client}@${f.replica ?? "?"} ${f.op}: ${f.cause} at ${new Date(f.end).toISOString().slice(11, 23)}`)
    .join("; ");
  const lost = s.lostSessions.map((l) => `${l.target}#${l.client}@${l.replica ?? "?"}`).join(" ");
  return `sent ${s.sent}, ok ${s.ok}, failed ${s.failed}${causes ? ` (${causes})` : ""}, sessions lost ${s.lostSessions.length}${lost ? ` [${lost}]` : ""}, skipped ${s.skipped}, p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms${first ? ` — ${first}` : ""}`;
}
