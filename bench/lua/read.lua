-- GET /api/v1/requests/{id}: a clerk reads random requests of the read pool (BENCH_POOL).
package.path = os.getenv("BENCH_LIB") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done
local ids = {}

function init(args)
  c.init()
  for line in io.lines(os.getenv("BENCH_POOL")) do
    table.insert(ids, line:match("(%S+)"))
  end
  math.randomseed(os.time() + slice)
end

function request()
  return wrk.format("GET", "/api/v1/requests/" .. ids[math.random(#ids)], c.headers())
end

function response(status, headers, body)
  c.count(status)
end
