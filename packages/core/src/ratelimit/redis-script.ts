import { createHash } from 'node:crypto';

/**
 * The whole rate-limit decision as one Lua script, so it is atomic and costs one round trip.
 *
 * - `KEYS[i]`: base key of counter `i`.
 * - `ARGV[1]`: cost; `ARGV[2]`: `fixed` or `sliding`; `ARGV[1 + 2i]`, `ARGV[2 + 2i]`: limit and periodMs of counter `i`.
 * - Reply: one string, `admitted used_1 resetMs_1 used_2 resetMs_2 …` (admitted 0 or 1): clients decode one
 *   bulk string far faster than an array of integers, and decoding is most of a client's cost per decision.
 *
 * Window keys are `<base>:<periodMs>:<windowIndex>`, derived inside the script. Redis Cluster allows
 * touching keys a script was not given only when they live in the same hash slot as the given ones, so
 * every base key must carry the same `{hash tag}` (the store's key prefix guarantees it).
 */
export const rateLimitScript = `-- Sideguard rate-limit decision: check every counter, then charge all of them or none.
-- Redis < 5 replicates scripts verbatim, which forbids writes after TIME; effects replication allows them.
if redis.replicate_commands then redis.replicate_commands() end

local cost = tonumber(ARGV[1])
local sliding = ARGV[2] == 'sliding'
if cost == nil or cost < 0 or (not sliding and ARGV[2] ~= 'fixed') or #ARGV ~= 2 + 2 * #KEYS then
  return redis.error_reply('ERR sideguard rate-limit script: bad arguments')
end

-- The server's clock, so gateways whose clocks drift apart still agree on the windows.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local reply = {1}
local windows = {}
for i = 1, #KEYS do
  local limit = tonumber(ARGV[1 + 2 * i])
  local period = tonumber(ARGV[2 + 2 * i])
  if limit == nil or period == nil or period < 1 then
    return redis.error_reply('ERR sideguard rate-limit script: bad counter arguments')
  end
  -- Windows are aligned to multiples of the period since the epoch.
  local index = math.floor(now / period)
  local elapsed = now - index * period
  local base = KEYS[i] .. ':' .. ARGV[2 + 2 * i] .. ':'
  local key = base .. string.format('%d', index)
  local carried = 0
  local ttl = period - elapsed
  if sliding then
    -- The previous window counts as much as it still overlaps the sliding window, and must outlive its
    -- own window for that: it expires at the end of the window after it.
    local previous = tonumber(redis.call('GET', base .. string.format('%d', index - 1))) or 0
    carried = previous * (1 - elapsed / period)
    ttl = ttl + period
  end
  -- Charge first (one command instead of a read and a write on the common, admitted path) and take
  -- the charge back below if any counter lacks room: the script is atomic, so nobody sees the interim.
  local charged = redis.call('INCRBY', key, ARGV[1])
  -- Only the write that creates the window key sets its expiry; later ones leave it alone.
  if charged == cost then redis.call('PEXPIRE', key, string.format('%d', ttl)) end
  local current = charged - cost
  -- Same rule as the in-memory store: the weighted estimate decides, whole units are reported.
  if carried + current + cost > limit then reply[1] = 0 end
  reply[2 * i] = math.ceil(carried) + charged
  reply[2 * i + 1] = period - elapsed
  windows[i] = key
end

-- A rejected hit leaves every counter as it found it.
if reply[1] == 0 then
  for i = 1, #KEYS do
    -- A window key this hit created goes again, so a stream of rejections leaves nothing behind.
    if redis.call('DECRBY', windows[i], ARGV[1]) <= 0 then redis.call('DEL', windows[i]) end
    reply[2 * i] = reply[2 * i] - cost
  end
end
-- Whole numbers, printed without a fraction or exponent.
for i = 1, #reply do reply[i] = string.format('%d', reply[i]) end
return table.concat(reply, ' ')
`;

/** SHA1 of {@link rateLimitScript}, as `EVALSHA` and `SCRIPT LOAD` know it. */
export const rateLimitScriptSha1 = createHash('sha1').update(rateLimitScript).digest('hex');
