-- One load scenario for wrk: `wrk ... -s bench/scenario.lua -- METHOD PATH TOKENS IDS BODY RUN`.
--
-- METHOD, PATH: the request; `:id` in PATH or BODY becomes an id from the IDS file, one picked
-- at random per request. TOKENS: a file of bearer tokens, used in turn ("-" for none). IDS: a
-- file of ids, one a line ("-" for none). BODY: the JSON body ("-" for none); a request with
-- a body gets a fresh Idempotency-Key, RUN-<thread>-<n>. The summary goes to the JSON file
-- named by $BENCH_WRK_OUT: statuses, a latency histogram and the ids of created resources.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local function read_lines(name)
  local lines = {}
  if name == "-" then
    return lines
  end
  for line in io.lines(name) do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  return lines
end

local method, path, body, run
local tokens, ids = {}, {}
local sent = 0
statuses = {}
created = {}

function init(args)
  method, path, body, run = args[1], args[2], args[5], args[6]
  tokens = read_lines(args[3])
  ids = read_lines(args[4])
  if body == "-" then
    body = nil
  end
  math.randomseed(os.time() * 1000 + thread_id)
end

function request()
  sent = sent + 1
  local headers = {}
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. tokens[sent % #tokens + 1]
  end
  local target, payload = path, body
  if #ids > 0 then
    local id = ids[math.random(#ids)]
    target = string.gsub(target, ":id", id)
    if payload then
      payload = string.gsub(payload, ":id", id)
    end
  end
  if payload then
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = run .. "-" .. thread_id .. "-" .. sent
  end
  return wrk.format(method, target, headers, payload)
end

function response(status, headers, response_body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 201 then
    local id = string.match(response_body, '"data":%s*[{]%s*"id":%s*(%d+)')
    if id then
      table.insert(created, id)
    end
  end
end

local function json_object(values)
  local parts = {}
  for key, value in pairs(values) do
    table.insert(parts, string.format('"%s":%s', key, tostring(value)))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local totals, ids_out = {}, {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      totals[key] = (totals[key] or 0) + count
    end
    for _, id in ipairs(thread:get("created")) do
      table.insert(ids_out, id)
    end
  end
  local histogram = {}
  for i = 1, #latency do
    local value, count = latency(i)
    table.insert(histogram, string.format("[%d,%d]", value, count))
  end
  local errors = summary.errors
  local out = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  out:write(string.format(
    '{"duration_us":%d,"requests":%d,"statuses":%s,"socket_errors":%d,"timeouts":%d,'
      .. '"latency_us":[%s],"created":[%s]}',
    summary.duration,
    summary.requests,
    json_object(totals),
    errors.connect + errors.read + errors.write,
    errors.timeout,
    table.concat(histogram, ","),
    table.concat(ids_out, ",")
  ))
  out:close()
end
