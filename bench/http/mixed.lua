-- The mixed workload: 70 % GET one VM (a random one of the ids in the file HB_IDS, one a line),
-- 20 % GET /api/v1/vms/?limit=100, 10 % POST create (as post.lua: unique names HB_PREFIX-t<thread>-
-- <counter>, environments from HB_ENVS).
dofile(os.getenv("HB_LUA") .. "/report.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local ids, envs, n, prefix = {}, {}, 0, nil
function init(args)
  for line in io.lines(os.getenv("HB_IDS")) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  for id in string.gmatch(os.getenv("HB_ENVS") or "", "[^,]+") do envs[#envs + 1] = id end
  if #ids == 0 or #envs == 0 then error("HB_IDS or HB_ENVS is empty") end
  prefix = (os.getenv("HB_PREFIX") or "m") .. "-t" .. tostring(tid) .. "-"
  math.randomseed(12345 + tid)
end

local headers = { ["Content-Type"] = "application/json" }
function request()
  local r = math.random(100)
  if r <= 70 then
    return wrk.format("GET", "/api/v1/vms/" .. ids[math.random(#ids)])
  elseif r <= 90 then
    return wrk.format("GET", "/api/v1/vms/?limit=100")
  end
  n = n + 1
  local body = '{"name":"' .. prefix .. n .. '","environment_id":"' .. envs[n % #envs + 1] ..
               '","cpu":1,"memory_mb":1024,"image":"ubuntu-22.04"}'
  return wrk.format("POST", "/api/v1/vms/", headers, body)
end
