-- waitingJobNames (read-only): the distinct names of waiting jobs of one queue due by `dueBy`, at
-- most `limit`, looking at no more than `budget` lanes (job names), so the work stays bounded
-- however many names a queue has. ARGV[1] dueBy, ARGV[2] limit, ARGV[3] budget.
-- @include queue
-- @include lanes
local dueBy, limit, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local names, seen, cursor = {}, {}, '0'
repeat
  local reply = redis.call('SSCAN', NAMES, cursor, 'COUNT', 100)
  cursor = reply[1]
  for _, name in ipairs(reply[2]) do
    if #names >= limit or budget <= 0 then return names end
    -- SSCAN may return a member twice.
    if not seen[name] then
      seen[name] = true
      budget = budget - 1
      local head = laneHead(name)
      if head and head <= dueBy then names[#names + 1] = name end
    end
  end
until cursor == '0'
return names
