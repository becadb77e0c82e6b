-- Shared by the generated wrk scripts of tools/bench/run (appended after the data tables).
-- Each thread starts at its own offset in the table so the threads do not move in lockstep,
-- stops itself after `max_requests` requests (the count bound of a level; wrk -d is the time
-- bound), and waits `pace_ms` between requests on a connection when pacing is asked for.
local sent = 0
local index = 0

setup = function(thread)
  thread:set("thread_offset", math.random(0, 1000))
end

init = function(args)
  index = tonumber(thread_offset or 0) or 0
end

function next_item(items)
  sent = sent + 1
  if sent > max_requests then wrk.thread:stop() end
  index = index + 1
  return items[(index % #items) + 1]
end

if pace_ms > 0 then
  delay = function() return pace_ms end
end
