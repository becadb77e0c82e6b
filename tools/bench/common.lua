-- Shared by the generated wrk scripts of tools/bench/run (appended after the data tables).
-- Each thread starts at its own offset in the table so the threads do not move in lockstep,
-- stops itself after `max_requests` requests (the count bound of a level; wrk -d is the time
-- bound), and pauses between requests on a connection when pacing is asked for (below).
local sent = 0
local index = 0

setup = function(thread)
  thread:set("thread_offset", math.random(0, 1000))
end

init = function(args)
  index = tonumber(thread_offset or 0) or 0
  -- Each wrk thread has a Lua state of its own: unseeded, all would draw the same pauses.
  math.randomseed(os.time() + index * 7919)
end

function next_item(items)
  sent = sent + 1
  if sent > max_requests then wrk.thread:stop() end
  index = index + 1
  return items[(index % #items) + 1]
end

-- The pauses are drawn from an exponential distribution with mean pace_ms (arrivals as from many
-- independent clients). A fixed pause keeps the connections in the phase they started in, all 64
-- at once: bursts at full load separated by idle time, whose queueing is not "half load" (nginx's
-- p99 at the paced level was 67 ms that way, 2 ms with these pauses).
if pace_ms > 0 then
  delay = function() return -math.log(1 - math.random()) * pace_ms end
end
