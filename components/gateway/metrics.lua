-- /metrics/clients on the gateway's internal metrics port: per route and authenticated client, the
-- counters the config keeps in one stick table per route (haproxy-cfg.ts, COUNTERS), read through the
-- runtime API at scrape time, in the Prometheus text format. Nothing runs per request here.
-- Arguments (lua-load): the runtime API socket, the latency bucket bounds in ms ("1,2.5,..."), then the
-- metrics tables, named mx_<route>.
local args = table.pack(...)
local socket_path = args[1]
local bounds = {}
for b in string.gmatch(args[2] or "", "[^,]+") do bounds[#bounds + 1] = b end
local tables = {}
for i = 3, args.n do tables[#tables + 1] = args[i] end

-- Indices in the gpc array (COUNTERS in haproxy-cfg.ts).
local C4XX, C5XX, C401, C403, C429, COUNT, SUM_US, FIRST_BUCKET = 0, 1, 2, 3, 4, 5, 6, 7

local function label(v)
  return (string.gsub(v, '[\\"\n]', { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }))
end

-- "show table" lines: "0x...: key=<key> use=0 exp=... shard=0 gpc0=1 gpc1=0 ..."
local function read_table(name)
  local s = core.tcp()
  s:settimeout(2)
  if not s:connect("unix@" .. socket_path) then return nil end
  s:send("show table " .. name .. "\n")
  local text = s:receive("*a") or ""
  s:close()
  local rows = {}
  for line in string.gmatch(text, "[^\n]+") do
    local key, rest = string.match(line, "^0x%x+: key=(.-) use=%d+ (.*)$")
    if key then
      local gpc = {}
      for idx, val in string.gmatch(rest, "gpc(%d+)=(%d+)") do gpc[tonumber(idx)] = tonumber(val) end
      rows[#rows + 1] = { client = key, gpc = gpc }
    end
  end
  return rows
end

local function render()
  local out = {}
  local function add(line) out[#out + 1] = line end
  local families = {
    { "mcp_gateway_client_requests_total", "counter", "Requests answered, per route and authenticated client." },
    { "mcp_gateway_client_responses_total", "counter", "Answers by status class (4xx, 5xx), per route and client." },
    { "mcp_gateway_client_denied_total", "counter", "Answers 401, 403 and 429, per route and client." },
    { "mcp_gateway_client_response_seconds", "histogram", "Time from a request's arrival to its response headers." },
  }
  local rows = {}
  for _, t in ipairs(tables) do
    local route = string.sub(t, 4)
    for _, r in ipairs(read_table(t) or {}) do rows[#rows + 1] = { route = route, client = r.client, gpc = r.gpc } end
  end
  for _, f in ipairs(families) do
    add("# HELP " .. f[1] .. " " .. f[3])
    add("# TYPE " .. f[1] .. " " .. f[2])
    for _, r in ipairs(rows) do
      local l = 'route="' .. label(r.route) .. '",client="' .. label(r.client) .. '"'
      local g = function(i) return r.gpc[i] or 0 end
      if f[1] == "mcp_gateway_client_requests_total" then
        add(f[1] .. "{" .. l .. "} " .. g(COUNT))
      elseif f[1] == "mcp_gateway_client_responses_total" then
        add(f[1] .. "{" .. l .. ',class="4xx"} ' .. g(C4XX))
        add(f[1] .. "{" .. l .. ',class="5xx"} ' .. g(C5XX))
      elseif f[1] == "mcp_gateway_client_denied_total" then
        add(f[1] .. "{" .. l .. ',status="401"} ' .. g(C401))
        add(f[1] .. "{" .. l .. ',status="403"} ' .. g(C403))
        add(f[1] .. "{" .. l .. ',status="429"} ' .. g(C429))
      else
        -- The config counts each latency band once; Prometheus's buckets are cumulative.
        local cumulative = 0
        for i, b in ipairs(bounds) do
          cumulative = cumulative + g(FIRST_BUCKET + i - 1)
          add(f[1] .. "_bucket{" .. l .. ',le="' .. string.format("%g", tonumber(b) / 1000) .. '"} ' .. cumulative)
        end
        add(f[1] .. "_bucket{" .. l .. ',le="+Inf"} ' .. g(COUNT))
        add(f[1] .. "_sum{" .. l .. "} " .. string.format("%.6f", g(SUM_US) / 1e6))
        add(f[1] .. "_count{" .. l .. "} " .. g(COUNT))
      end
    end
  end
  return table.concat(out, "\n") .. "\n"
end

core.register_service("mcp_client_metrics", "http", function(applet)
  local body = render()
  applet:set_status(200)
  applet:add_header("content-type", "text/plain; version=0.0.4")
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)
