// A stand-in MCP server for the gateway benchmark, in a process of its own: answers POST on any path
// with a small JSON-RPC result over keep-alive connections, after <delay> ms (0: at once).
// Usage: tsx bench/upstream.ts <port> [<delay ms>]
import * as http from "http";

const delayMs = Number(process.argv[3] ?? 0);
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
const server = http.createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "mcp-session-id": "bench" });
    res.end(body);
  };
  req.resume();
  req.on("end", () => (delayMs ? setTimeout(answer, delayMs) : answer()));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2]), "127.0.0.1", () => process.stdout.write("ready\n"));
