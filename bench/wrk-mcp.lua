-- wrk script for the gateway benchmark: an MCP tools/list POST with the client's headers (and a bearer
-- token, through the gateway), keep-alive; at the end prints one JSON line with the figures bench/gateway.ts
-- reads. Usage: wrk ... -s bench/wrk-mcp.lua <url> [-- <bearer token>]
local token = nil

function init(args)
  token = args[1]
end

function request()
  local headers = {
    ["content-type"] = "application/json",
    ["accept"] = "application/json, text/event-stream",
  }
  if token and token ~= "" then headers["authorization"] = "Bearer " .. token end
  return wrk.format("POST", nil, headers, '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"ok":%d,"failed":%d,"p50":%.4f,"p99":%.4f,"rps":%.2f}\n',
    summary.requests - e.status - e.read - e.write - e.timeout,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
