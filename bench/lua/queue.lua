-- GET /api/v1/queues/verkehr/requests: a clerk lists the first page of the queue.
package.path = os.getenv("BENCH_LIB") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done

function init(args)
  c.init()
end

function request()
  return wrk.format("GET", "/api/v1/queues/verkehr/requests", c.headers())
end

function response(status, headers, body)
  c.count(status)
end
