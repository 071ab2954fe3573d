-- wrk script: each request rotates through (token, task id) pairs, one user per pair, so the
-- server sees many users, as in production. SCENARIO picks the request.
local pairs_file = os.getenv("BENCH_PAIRS")
local scenario = os.getenv("SCENARIO")
local items = {}
local counter = 0
local threads_started = 0
local threads = {}
refused = 0  -- 503 answers (the pool's acquire timeout): a refusal, not a failure
failed = 0   -- any other status >= 400

-- setup() runs in the main Lua state; thread:set() gives each thread a distinct global index,
-- so the threads walk disjoint parts of the list (each delete removes another task).
function setup(thread)
  thread:set("thread_index", threads_started)
  threads_started = threads_started + 1
  table.insert(threads, thread)
end

response = function(status, headers, body)
  if status == 503 then
    refused = refused + 1
  elseif status >= 400 then
    failed = failed + 1
  end
end

function init(args)
  for line in io.lines(pairs_file) do
    local token, task, spare = line:match("([^ ]+) ([^ ]+) ([^ ]+)")
    table.insert(items, {token = token, task = task, spare = spare})
  end
  -- BENCH_OFFSET moves each run to fresh rows (deletes consume them), BENCH_STRIDE keeps the
  -- threads of a run on stretches of their own.
  counter = tonumber(os.getenv("BENCH_OFFSET") or "0")
    + (thread_index or 0) * tonumber(os.getenv("BENCH_STRIDE") or "12007")
  run_tag = (os.getenv("BENCH_RUN") or "0") .. "." .. (thread_index or 0) .. "."
end

-- A title no other request of any run sets: the run (BENCH_RUN), the thread, the request. The
-- counter alone repeats once a thread makes more requests than the stride between threads.
local function title_suffix(n)
  return run_tag .. n
end

local function next_item()
  counter = counter + 1
  return items[(counter % #items) + 1], counter
end

request = function()
  local item, n = next_item()
  local headers = {["Authorization"] = "Bearer " .. item.token}
  if scenario == "get" then
    return wrk.format("GET", "/api/tasks/" .. item.task, headers)
  elseif scenario == "list" then
    return wrk.format("GET", "/api/tasks?limit=50", headers)
  elseif scenario == "search" then
    return wrk.format("GET", "/api/tasks?limit=50&priority=high,medium&q=milk", headers)
  elseif scenario == "create" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/tasks", headers, '{"title": "bench task", "tags": ["bench"]}')
  elseif scenario == "patch" then
    headers["Content-Type"] = "application/json"
    return wrk.format("PATCH", "/api/tasks/" .. item.task, headers, '{"title": "patched ' .. title_suffix(n) .. '"}')
  elseif scenario == "delete" then
    -- Each request deletes another seeded task; the pool of spares is sized for the run.
    return wrk.format("DELETE", "/api/tasks/" .. item.spare .. "?n=" .. n, headers)
  else -- mixed: 80% reads, 20% writes
    if n % 5 == 0 then
      headers["Content-Type"] = "application/json"
      -- A title no earlier request set: every write changes the task (an unchanged one is not
      -- written at all).
      return wrk.format("PATCH", "/api/tasks/" .. item.task, headers, '{"title": "mixed ' .. title_suffix(n) .. '"}')
    elseif n % 5 == 1 then
      return wrk.format("GET", "/api/tasks?limit=50", headers)
    end
    return wrk.format("GET", "/api/tasks/" .. item.task, headers)
  end
end

function done(summary, latency, requests)
  local refusals, failures = 0, 0
  for _, thread in ipairs(threads) do
    refusals = refusals + thread:get("refused")
    failures = failures + thread:get("failed")
  end
  -- Errors: transport failures and every non-503 error status.
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + failures
  io.write(string.format("RESULT %d %.3f %d %d %d %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99), errors, refusals))
end
