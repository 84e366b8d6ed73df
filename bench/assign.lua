-- wrk script: each connection's thread POSTs assignments with unique holder
-- ids to its own pool (args: run tag, then one path per thread), counts the
-- answers by status, and prints rate and latency percentiles as one line
-- of JSON for bench/http_load.py.
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  tag = args[1]
  path = args[id + 1] or args[2]
  sent = 0
  statuses = {}
  headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
end

function request()
  sent = sent + 1
  local body = '{"holder_id":"' .. tag .. "-" .. id .. "-" .. sent .. '"}'
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, '"' .. status .. '":' .. n)
  end
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"socket_errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    table.concat(parts, ",")))
end
