-- Shared by every bench script: bearer token, per-thread counters, one JSON line at the end.
-- Environment: BENCH_TOKEN (access token), BENCH_LIB (this directory).
local M = {}
local threads = {}

M.token = os.getenv("BENCH_TOKEN") or ""

function M.headers(extra)
  local h = {["Authorization"] = "Bearer " .. M.token, ["Content-Type"] = "application/json"}
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

function M.setup(thread)
  table.insert(threads, thread)
  thread:set("slice", #threads - 1)
end

function M.init()
  ok, bad, empty = 0, 0, 0
end

function M.count(status)
  if status == 204 then
    empty = empty + 1
  elseif status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

function M.done(summary, latency, requests)
  local sum_ok, sum_bad, sum_empty = 0, 0, 0
  for _, t in ipairs(threads) do
    sum_ok = sum_ok + (t:get("ok") or 0)
    sum_bad = sum_bad + (t:get("bad") or 0)
    sum_empty = sum_empty + (t:get("empty") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "ok": %d, "bad": %d, "empty": %d, ' ..
    '"socket_errors": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, sum_ok, sum_bad, sum_empty,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end

return M
