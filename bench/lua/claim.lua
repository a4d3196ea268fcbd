-- POST /api/v1/queues/verkehr/claim: a clerk takes the most urgent request (204 = queue empty).
package.path = os.getenv("BENCH_LIB") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done

function init(args)
  c.init()
end

function request()
  return wrk.format("POST", "/api/v1/queues/verkehr/claim", c.headers())
end

function response(status, headers, body)
  c.count(status)
end
