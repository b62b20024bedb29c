-- wrk script for bench/rest-issuance.sh: POSTs one request body (a CSR, raw
-- or wrapped in JSON) over keep-alive connections and counts the answers
-- that carry the expected status, so the caller can compare that count
-- with the rows the service stored.
--
-- Environment: BENCH_BODY (file holding the body), BENCH_CONTENT_TYPE,
-- BENCH_TOKEN (optional bearer token), BENCH_STATUS (expected status).

local function slurp(path)
  local f = assert(io.open(path, "rb"), "BENCH_BODY: cannot open " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.body = slurp(os.getenv("BENCH_BODY"))
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")
local token = os.getenv("BENCH_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local expected = tonumber(os.getenv("BENCH_STATUS") or "200")

-- Each wrk thread has its own Lua state: setup() keeps a handle on every
-- thread so done() can add up their counters.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, unexpected = 0, 0
end

function response(status, headers, body)
  if status == expected then
    ok = ok + 1
  else
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local n_ok, n_bad = 0, 0
  for _, t in ipairs(threads) do
    n_ok = n_ok + t:get("ok")
    n_bad = n_bad + t:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.1f p50_ms=%.2f p99_ms=%.2f ok=%d unexpected=%d " ..
    "non2xx=%d sockerr=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, n_ok, n_bad, e.status,
    e.connect + e.read + e.write + e.timeout))
end
