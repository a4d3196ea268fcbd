-- POST /api/v1/requests: a citizen files (and submits) a dog registration; bodies vary.
package.path = os.getenv("BENCH_LIB") .. "/?.lua;" .. package.path
local c = require("common")
setup, done = c.setup, c.done
local names = {"Bello", "Luna", "Balu", "Emma", "Rocky", "Nala", "Sammy", "Kira"}
local counter = 0

function init(args)
  c.init()
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"service": "hundeanmeldung", "submit": true, "data": {"vorname": "Jonas", ' ..
    '"nachname": "Petersen", "geburtsdatum": "1988-05-17", "strasse": "Mengstraße", ' ..
    '"hausnummer": "%d", "plz": "23552", "ort": "Lübeck", "hund_name": "%s", ' ..
    '"rasse": "Labrador Retriever", "geschlecht": "ruede", "wurfdatum": "2024-02-10", ' ..
    '"chipnummer": "2760981%08d", "haltung_seit": "2026-01-05", "ermaessigung": "keine", ' ..
    '"weitere_hunde": 0}}',
    counter % 200 + 1, names[counter % #names + 1], counter % 100000000)
  return wrk.format("POST", "/api/v1/requests", c.headers(), body)
end

function response(status, headers, body)
  c.count(status)
end
