-- wrk script for `cadre bench serve-external`: predict requests spread over N specialists.
--   wrk -t2 -c32 -d15s -s bench/serve/wrk-specialists.lua http://127.0.0.1:PORT -- N [PREFIX] [TEXTS_FILE]
-- Each request goes to {PREFIX}{0000..N-1}/predict (drawn uniformly, seeded per thread) with one text from
-- TEXTS_FILE (one per line). done() prints one line, "wrk-json: {...}", with the latency percentiles (ms), the
-- request rate and the answers by status, counted per thread in response() and summed here.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local count, prefix, bodies = 1, "serve-", {}
statuses = {}

local function quote(text)
  return (text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end))
end

function init(args)
  count = tonumber(args[1]) or 1
  prefix = args[2] or "serve-"
  local texts = {}
  local file = args[3] and io.open(args[3], "r")
  if file then
    for line in file:lines() do
      if line ~= "" then texts[#texts + 1] = line end
    end
    file:close()
  end
  if #texts == 0 then texts = { "the team won the final after a great season" } end
  for i, text in ipairs(texts) do bodies[i] = '{"inputs":["' .. quote(text) .. '"]}' end
  math.randomseed(1000 + (id or 0))
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  local name = string.format("%s%04d", prefix, math.random(0, count - 1))
  return wrk.format("POST", "/v1/specialists/" .. name .. "/predict", headers, bodies[math.random(#bodies)])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do merged[status] = (merged[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(merged) do parts[#parts + 1] = string.format('"%s":%d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'wrk-json: {"requests":%d,"duration_us":%d,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"statuses":{%s},"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, table.concat(parts, ","), e.connect, e.read, e.write, e.timeout))
end
