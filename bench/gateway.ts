// The gateway's cost per MCP request: the rendered HAProxy config (TLS and OAuth on: every request carries
// a JWT) in front of a stub upstream, against the stub reached directly, on loopback, in one run, for
// trivial answers and for answers that take 5 ms. Load comes from wrk (keep-alive connections, a Lua script
// for the POST body and headers): a Node client would saturate a core before the gateway does.
// Placement: HAProxy on the last core, one thread (the CPU prod gives the gateway), with the reader of its
// JSON access log (a pipe to a file, as Docker's log driver keeps it): the log's cost is the gateway's.
// wrk and the stub upstreams share core 0 in both the direct and the gateway runs. On a shared machine the
// background load drifts from second to second: the runs alternate and each gateway run is compared with
// the direct run just before it; the ratios are the medians of those pairs.
import * as child from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { platformSchema } from "../components/config/schema";
import { gatewayModel } from "../components/gateway/model";
import { makeIssuer, selfSigned, waitReady, writeConfDir } from "../test/components/gateway/harness";
import { findHaproxy, freePorts } from "../test/components/gateway/stubs";
import { fmt, spread, summarize } from "./stats";
import type { Section } from "./run";

const TSX = path.join(__dirname, "..", "node_modules", ".bin", "tsx");
const WRK_SCRIPT = path.join(__dirname, "wrk-mcp.lua");
const CONNECTIONS = 8;
const SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS ?? 5);
// The gateway's CPU in prod (Pulumi.prod.yaml gateway.cpus): one core, one thread.
const GATEWAY_CPUS = 1;
const LOAD_CORE = "0";
const gatewayCore = () => String(os.cpus().length - 1);
// How the benchmark's processes (load, stubs, gateway alike) are scheduled: "nice" (the default as root)
// raises their priority over other work on the machine, "none" leaves it. On a machine with other work,
// each wake-up of a process can still wait behind it (up to a millisecond a hop on a loaded 2-core
// machine), which the figures then count as the gateway's latency: it adds two hops. Real-time scheduling
// would hide that, but a spinning real-time process starves the machine: not used.
const SCHED = process.env.BENCH_SCHED ?? (process.getuid?.() === 0 ? "nice" : "none");
if (!["nice", "none"].includes(SCHED)) throw new Error(`BENCH_SCHED must be nice or none, not ${SCHED}`);

// A command pinned to a core, scheduled as SCHED says: [file, args] for spawn.
function pinned(core: string, cmd: string, args: string[]): [string, string[]] {
  const run = ["taskset", "-c", core, cmd, ...args];
  if (SCHED === "nice") return ["nice", ["-n", "-10", ...run]];
  return [run[0]!, run.slice(1)];
}

interface LoadResult {
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  rps: number;
}

function wrk(url: string, seconds: number, token?: string): LoadResult {
  const out = child.execFileSync(...pinned(LOAD_CORE, "wrk", ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "-s", WRK_SCRIPT, url, ...(token ? ["--", token] : [])]), { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as LoadResult;
}

// CPU seconds (user + system) a process has used, from /proc (in clock ticks of 1/100 s on Linux).
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function upstream(port: number, delayMs: number): Promise<child.ChildProcess> {
  const p = child.spawn(...pinned(LOAD_CORE, TSX, [path.join(__dirname, "upstream.ts"), String(port), String(delayMs)]), { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => p.stdout!.once("data", () => resolve()));
  return p;
}

function missingTool(): string | undefined {
  const { bin, problem } = findHaproxy();
  if (!bin) return problem;
  if (child.spawnSync("wrk", ["-v"]).error) return "wrk is not installed (apt-get install wrk; .ci/toolchain/install.sh installs it)";
  if (child.spawnSync("taskset", ["-V"]).error) return "taskset is not installed (util-linux)";
  if (os.cpus().length < 2) return "needs 2 cores: one for the gateway, one for the load and the upstream";
  return undefined;
}

export async function gatewaySection(runs: number): Promise<Section> {
  const title = "Gateway: MCP POST through HAProxy 3.2 (rendered config, TLS + OAuth JWT, 1 core) vs. the upstream directly, loopback";
  const columns = ["answer", "path", "p50 latency", "p99 latency", "throughput", "× direct (p50 / p99 / rps)", "added p50", "gateway CPU / request"];
  const problem = missingTool();
  if (problem) return { title, columns, rows: [[`skipped: ${problem}`, "", "", "", "", "", "", ""]], data: { skipped: problem } };
  const bin = findHaproxy().bin!;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-gateway-"));
  const procs: child.ChildProcess[] = [];
  try {
    const [trivialPort, slowPort, gatewayPort, slowGatewayPort, metricsPort] = (await freePorts(5)) as [number, number, number, number, number];
    procs.push(await upstream(trivialPort, 0), await upstream(slowPort, 5));
    const issuer = await makeIssuer("https://auth.example.com");
    const auth = { mode: "oauth", issuer: issuer.issuer, publicKeys: [issuer.publicKeyPem], scopes: ["mcp:tools"] };
    const limits = { rateLimitPerMinute: 60_000_000, rateLimitBurst: 1_000_000 };
    const config = platformSchema.parse({
      gateway: { tls: { selfSigned: true }, publicHost: "127.0.0.1", metricsPort, cpus: GATEWAY_CPUS },
      services: { gmail: { publishedPort: gatewayPort, auth, ...limits }, rag: { publishedPort: slowGatewayPort, auth, ...limits }, graphiti: { enabled: false } },
      healthMonitor: { enabled: false },
    });
    const model = gatewayModel(config);
    if (model.threads !== GATEWAY_CPUS) throw new Error(`the gateway model gives ${model.threads} threads for ${GATEWAY_CPUS} CPU`);
    model.routes.find((r) => r.service === "gmail")!.peers = [`127.0.0.1:${trivialPort}`];
    model.routes.find((r) => r.service === "rag")!.peers = [`127.0.0.1:${slowPort}`];
    const { confDir } = writeConfDir(dir, model, { tlsPem: selfSigned().pem });
    const haproxy = child.spawn(...pinned(gatewayCore(), bin, ["-db", "-f", path.join(confDir, "haproxy.cfg")]), { stdio: ["ignore", "pipe", "inherit"] });
    procs.push(haproxy);
    // The access log through a pipe to a file, as Docker's json-file driver keeps it.
    const logFile = path.join(dir, "access.log");
    const logFd = fs.openSync(logFile, "w");
    procs.push(child.spawn(...pinned(gatewayCore(), "cat", []), { stdio: [haproxy.stdout!, logFd, "inherit"] }));
    await waitReady(metricsPort, () => haproxy.exitCode !== null, () => "");

    const rows: string[][] = [];
    // The machine's other work, which the figures depend on (1-minute load average, at the start and the end).
    const loadAverage = [os.loadavg()[0]!];
    const data: Record<string, unknown> = { loadAverage, connections: CONNECTIONS, secondsPerRun: SECONDS, gatewayCpus: GATEWAY_CPUS, gatewayThreads: model.threads, load: "wrk", scheduling: SCHED };
    let gatewayRequests = 0;
    for (const [answer, upstreamPort, viaPort, service] of [
      ["trivial", trivialPort, gatewayPort, "gmail"],
      ["5 ms", slowPort, slowGatewayPort, "rag"],
    ] as const) {
      const route = model.routes.find((r) => r.service === service)!;
      const token = await issuer.sign({ aud: route.resource, sub: "bench", scope: "mcp:tools" }, { expiresIn: "1h" });
      const direct = `http://127.0.0.1:${upstreamPort}/mcp`;
      const via = `https://127.0.0.1:${viaPort}/mcp`;
      // Warm-up: JIT in the stub, TLS sessions, the token's first verification.
      wrk(direct, 1);
      gatewayRequests += wrk(via, 1, token).ok;
      const d: LoadResult[] = [];
      const v: LoadResult[] = [];
      const cpuPerRequest: number[] = [];
      // Alternate the two so that drift in the machine's load affects both alike.
      for (let i = 0; i < runs; i++) {
        d.push(wrk(direct, SECONDS));
        const before = cpuSeconds(haproxy.pid!);
        const r = wrk(via, SECONDS, token);
        cpuPerRequest.push(((cpuSeconds(haproxy.pid!) - before) / r.ok) * 1e6);
        v.push(r);
        gatewayRequests += r.ok;
      }
      const failed = [...d, ...v].reduce((n, r) => n + r.failed, 0);
      if (failed) throw new Error(`${failed} requests failed during the gateway benchmark (${answer} answers)`);
      const s = (xs: LoadResult[], k: keyof LoadResult) => summarize(xs.map((x) => x[k]));
      const ds = { p50: s(d, "p50"), p99: s(d, "p99"), rps: s(d, "rps") };
      const vs = { p50: s(v, "p50"), p99: s(v, "p99"), rps: s(v, "rps") };
      const cpu = summarize(cpuPerRequest);
      const paired = (k: keyof LoadResult, f: (a: number, b: number) => number) => summarize(v.map((x, i) => f(x[k], d[i]![k]))).median;
      const latencyRatio = paired("p50", (a, b) => a / b);
      const p99Ratio = paired("p99", (a, b) => a / b);
      const throughputRatio = paired("rps", (a, b) => a / b);
      const addedP50 = paired("p50", (a, b) => a - b);
      rows.push(
        [answer, "upstream directly (floor)", spread(ds.p50, " ms", 2), spread(ds.p99, " ms", 2), `${fmt(ds.rps.median)} req/s`, "1.00 / 1.00 / 1.00", "", ""],
        [
          answer,
          "through the gateway",
          spread(vs.p50, " ms", 2),
          spread(vs.p99, " ms", 2),
          `${fmt(vs.rps.median)} req/s`,
          `${latencyRatio.toFixed(2)} / ${p99Ratio.toFixed(2)} / ${throughputRatio.toFixed(2)}`,
          `${addedP50.toFixed(2)} ms`,
          `${fmt(cpu.median)} µs`,
        ],
      );
      data[answer] = { direct: ds, gateway: vs, latencyRatio, p99Ratio, throughputRatio, addedP50Ms: addedP50, gatewayCpuUsPerRequest: cpu };
    }
    // Seen, not assumed: the gateway logged every request it answered, with the authenticated client.
    await new Promise((r) => setTimeout(r, 500));
    const logged = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.includes('"client":"bench"')).length;
    if (logged < gatewayRequests) throw new Error(`the access log holds ${logged} lines for ${gatewayRequests} requests through the gateway`);
    data.accessLogLines = logged;
    loadAverage.push(os.loadavg()[0]!);
    const load = loadAverage.map((l) => l.toFixed(1)).join("→");
    return { title: `${title}, ${CONNECTIONS} keep-alive connections (wrk), ${SECONDS} s per run, scheduling ${SCHED}, load average ${load}`, columns, rows, data };
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
