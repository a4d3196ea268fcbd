-- POST /api/v1/requests/{id}/transitions with If-Match: request_fee <-> mark_paid.
-- BENCH_POOL is a file of "id version state" lines; thread k of BENCH_THREADS takes every
-- k-th line. A request is in flight on one connection at a time, so no 412 from ourselves;
-- the response's ETag and state say what to fire next.
package.path = os.getenv("BENCH_LIB") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done
local idle, version, state = {}, {}, {}

function init(args)
  c.init()
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("BENCH_POOL")) do
    if i % threads == slice then
      local id, v, s = line:match("(%S+) (%d+) (%S+)")
      table.insert(idle, id)
      version[id], state[id] = v, s
    end
    i = i + 1
  end
end

function request()
  local id = table.remove(idle, 1)
  local name = state[id] == "in_review" and "request_fee" or "mark_paid"
  return wrk.format("POST", "/api/v1/requests/" .. id .. "/transitions",
    c.headers({["If-Match"] = '"' .. version[id] .. '"'}),
    '{"transition": "' .. name .. '"}')
end

function response(status, headers, body)
  c.count(status)
  local id = body:match('^{"id":"([^"]+)"')
  if id then
    version[id] = (headers["etag"] or headers["ETag"] or ""):match("%d+")
    state[id] = body:match('"state":"([^"]+)"')
    table.insert(idle, id)
  end
end
