-- POST create with a unique name per request: HB_PREFIX-t<thread>-<counter>, spread round-robin
-- over the environments in HB_ENVS (comma-separated ids). HB_KIND = vms (default) or volumes.
dofile(os.getenv("HB_LUA") .. "/report.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local envs, n, prefix, path, extra = {}, 0, nil, nil, nil
function init(args)
  for id in string.gmatch(os.getenv("HB_ENVS") or "", "[^,]+") do envs[#envs + 1] = id end
  if #envs == 0 then error("HB_ENVS is empty") end
  prefix = (os.getenv("HB_PREFIX") or "b") .. "-t" .. tostring(tid) .. "-"
  if (os.getenv("HB_KIND") or "vms") == "volumes" then
    path, extra = "/api/v1/volumes/", '","size_gb":10}'
  else
    path, extra = "/api/v1/vms/", '","cpu":1,"memory_mb":1024,"image":"ubuntu-22.04"}'
  end
end

local headers = { ["Content-Type"] = "application/json" }
function request()
  n = n + 1
  local body = '{"name":"' .. prefix .. n .. '","environment_id":"' .. envs[n % #envs + 1] .. extra
  return wrk.format("POST", path, headers, body)
end
