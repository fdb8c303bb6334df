// A closed-loop load generator in a process of its own: C keep-alive connections, each sending its next
// request when the previous answer arrives, N requests in all. Prints JSON: latencies and throughput.
// Usage: tsx bench/load.ts <port> <path> <connections> <requests> [<ca file> <bearer token>]
// With a CA file it speaks TLS (trusting that certificate) and sends the token, as a client of the gateway.
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { performance } from "perf_hooks";
import { quantile } from "./stats";

async function main() {
  const [port, path, connections, total] = [Number(process.argv[2]), process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])];
  const [caFile, token] = [process.argv[6], process.argv[7]];
  const client = caFile ? https : http;
  const agent = caFile
    ? new https.Agent({ keepAlive: true, maxSockets: connections, ca: fs.readFileSync(caFile, "utf8") })
    : new http.Agent({ keepAlive: true, maxSockets: connections });
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const payload = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = client.request(
        { host: "127.0.0.1", port, path, method: "POST", agent, headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...auth } },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) latencies.push(performance.now() - t0);
            else failed++;
            resolve();
          });
        },
      );
      req.on("error", () => {
        failed++;
        resolve();
      });
      req.end(payload);
    });
  const worker = async () => {
    while (sent < total) {
      sent++;
      await one();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({ ok: sorted.length, failed, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), rps: sorted.length / seconds })}\n`,
  );
  agent.destroy();
}

void main();
