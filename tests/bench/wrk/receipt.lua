-- wrk: POST /api/receipts, each request a new receipt under a new Idempotency-Key.
-- The token comes from the environment (ISF_TOKEN); refs are unique per thread and request.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   agreement = args[1] or "AG-00001"
   stream = args[2] or "ASC"
end

function request()
   counter = counter + 1
   local ref = string.format("WRK-%d-%d-%d", os.time() % 100000, thread_id, counter)
   local body = string.format(
      '{"receipt_ref":"%s","received_on":"2026-03-20","payer":"commissioner","agreement_ref":"%s","stream_ref":"%s","amount":"1.00"}',
      ref, agreement, stream)
   return wrk.format("POST", "/api/receipts", {
      ["Authorization"] = "Bearer " .. os.getenv("ISF_TOKEN"),
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = ref,
   }, body)
end
