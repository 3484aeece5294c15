-- waitingJobNames (read-only): the distinct names of waiting jobs of one queue due by `dueBy`, at
-- most `limit`, looking at no more than `budget` lanes (job names) and `budget` grouped jobs, so
-- the work stays bounded however many names and groups a queue has. ARGV[1] dueBy, ARGV[2]
-- limit, ARGV[3] budget.
-- @include queue
-- @include lanes
local dueBy, limit, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local names, seen, cursor = {}, {}, '0'
local lanesBudget = budget
repeat
  local reply = redis.call('SSCAN', NAMES, cursor, 'COUNT', 100)
  cursor = reply[1]
  for _, name in ipairs(reply[2]) do
    if #names >= limit or lanesBudget <= 0 then return names end
    -- SSCAN may return a member twice.
    if not seen[name] then
      seen[name] = true
      lanesBudget = lanesBudget - 1
      local head = laneHead(name)
      if head and head <= dueBy then names[#names + 1] = name end
    end
  end
until cursor == '0'
-- Grouped jobs: the due jobs of each group, oldest first per priority, up to `budget` jobs in all.
local jobsBudget, listed = budget, {}
for _, name in ipairs(names) do listed[name] = true end
for _, group in ipairs(redis.call('ZRANGE', GROUPS, 0, -1)) do
  for _, priority in ipairs(redis.call('ZRANGE', gpriosKey(group), 0, -1)) do
    if #names >= limit or jobsBudget <= 0 then return names end
    local ids = redis.call('ZRANGEBYSCORE', gwaitKey(priority, group), '-inf', dueBy, 'LIMIT', 0, jobsBudget)
    jobsBudget = jobsBudget - #ids
    for _, id in ipairs(ids) do
      local name = redis.call('HGET', jobKey(id), 'name')
      if name and not listed[name] then
        listed[name] = true
        names[#names + 1] = name
        if #names >= limit then return names end
      end
    end
  end
end
return names
