-- wrk script for bench/crl.sh: revokes a different certificate with each
-- request (serials from BENCH_SERIALS, one per line, split between the
-- threads) and counts the 200 answers.
--
-- Environment: BENCH_SERIALS, BENCH_CA_ID, BENCH_TOKEN.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  ok, unexpected = 0, 0
  serials = {}
  for line in io.lines(os.getenv("BENCH_SERIALS")) do
    table.insert(serials, line)
  end
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
  pos = id + 1
  prefix = "/api/v1/cas/" .. os.getenv("BENCH_CA_ID") .. "/certificates/"
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }
end

function request()
  local serial = serials[pos]
  assert(serial ~= nil, "BENCH_SERIALS: not enough serials for this run")
  pos = pos + step
  return wrk.format("POST", prefix .. serial .. "/revoke", headers,
                    '{"reason": "keyCompromise"}')
end

function response(status, headers, body)
  if status == 200 then
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
    "BENCH rps=%.1f p50_ms=%.2f p99_ms=%.2f ok=%d unexpected=%d sockerr=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, n_ok, n_bad, e.connect + e.read + e.write + e.timeout))
end
