// The gateway's cost per MCP request: the rendered nginx config in front of a stub upstream, against the
// stub reached directly, on loopback, with the rate limits raised out of the way for the run.
import * as child from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { platformSchema } from "../components/config/schema";
import { gatewayModel, renderNginxConf } from "../components/gateway/nginx-conf";
import { findNginx, freePorts } from "../test/components/gateway/stubs";
import { fmt, spread, summarize } from "./stats";
import type { Section } from "./run";

const TSX = path.join(__dirname, "..", "node_modules", ".bin", "tsx");
const CONNECTIONS = 16;
const REQUESTS = 20_000;

interface LoadResult {
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  rps: number;
}

function load(port: number, urlPath: string): LoadResult {
  const out = child.execFileSync(TSX, [path.join(__dirname, "load.ts"), String(port), urlPath, String(CONNECTIONS), String(REQUESTS)], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as LoadResult;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

async function answers(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
  return res?.status === 200;
}

export async function gatewaySection(runs: number): Promise<Section> {
  const nginx = findNginx();
  const title = "Gateway: MCP POST through nginx (rendered config) vs. the upstream directly, loopback";
  const columns = ["path", "p50 latency", "p99 latency", "throughput", "× direct (p50 / rps)"];
  if (!nginx) return { title, columns, rows: [["skipped: nginx is not installed (apt-get install nginx-light)", "", "", "", ""]], data: { skipped: "nginx not installed" } };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-gateway-"));
  const [upstreamPort, gatewayPort] = await freePorts(2);
  const upstream = child.spawn(TSX, [path.join(__dirname, "upstream.ts"), String(upstreamPort)], { stdio: ["ignore", "pipe", "inherit"] });
  let proxy: child.ChildProcess | undefined;
  try {
    await new Promise<void>((resolve) => upstream.stdout!.once("data", () => resolve()));
    // The real model for one gmail replica, pointed at the stub, with limits far above the offered load.
    const config = platformSchema.parse({ services: { gmail: { rateLimitPerMinute: 60_000_000, rateLimitBurst: 1_000_000 } } });
    const model = gatewayModel(config);
    model.routes = model.routes.filter((r) => r.service === "gmail").map((r) => ({ ...r, listenPort: gatewayPort!, peers: [`127.0.0.1:${upstreamPort}`] }));
    // The access log goes to a file, as it would go to a pipe in the container: the cost is part of the gateway.
    const conf = renderNginxConf(model, { listenAddress: "127.0.0.1", runtimeDir: dir, accessLog: path.join(dir, "access.log"), errorLog: path.join(dir, "error.log") });
    fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
    proxy = child.spawn(nginx, ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "error.log")], { stdio: "ignore" });
    await waitFor(() => answers(gatewayPort!), "nginx");

    const mcpPath = model.routes[0]!.mcpPath!;
    load(upstreamPort!, mcpPath);
    load(gatewayPort!, mcpPath);
    const direct: LoadResult[] = [];
    const via: LoadResult[] = [];
    // Alternate the two so that drift in the machine's load affects both alike.
    for (let i = 0; i < runs; i++) {
      direct.push(load(upstreamPort!, mcpPath));
      via.push(load(gatewayPort!, mcpPath));
    }
    const failed = [...direct, ...via].reduce((n, r) => n + r.failed, 0);
    if (failed) throw new Error(`${failed} requests failed during the gateway benchmark`);
    const s = (xs: LoadResult[], k: keyof LoadResult) => summarize(xs.map((x) => x[k]));
    const d = { p50: s(direct, "p50"), p99: s(direct, "p99"), rps: s(direct, "rps") };
    const v = { p50: s(via, "p50"), p99: s(via, "p99"), rps: s(via, "rps") };
    const latencyRatio = v.p50.median / d.p50.median;
    const throughputRatio = v.rps.median / d.rps.median;
    return {
      title: `${title}, ${CONNECTIONS} connections, ${REQUESTS} requests per run`,
      columns,
      rows: [
        ["upstream directly (floor)", spread(d.p50, " ms", 2), spread(d.p99, " ms", 2), `${fmt(d.rps.median)} req/s`, "1.00 / 1.00"],
        ["through the gateway", spread(v.p50, " ms", 2), spread(v.p99, " ms", 2), `${fmt(v.rps.median)} req/s`, `${latencyRatio.toFixed(2)} / ${throughputRatio.toFixed(2)}`],
      ],
      data: { connections: CONNECTIONS, requestsPerRun: REQUESTS, direct: d, gateway: v, latencyRatio, throughputRatio },
    };
  } finally {
    proxy?.kill("SIGTERM");
    upstream.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
