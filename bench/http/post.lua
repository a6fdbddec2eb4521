-- POST create with a unique name per request: HB_PREFIX-t<thread>-<counter>, spread round-robin
-- over the environments in HB_ENVS (comma-separated ids). HB_KIND = vms (default) or volumes.
-- HB_DIALECT = mockcloud (default) or original: the original dialect's VMCreate
-- ({"name","instance_type","environment_id"}, integer environment ids; names are unique across
-- the whole cloud there, which the prefix and counter guarantee as well).
dofile(os.getenv("HB_LUA") .. "/report.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local envs, n, prefix, path, open, extra = {}, 0, nil, nil, nil, nil
function init(args)
  for id in string.gmatch(os.getenv("HB_ENVS") or "", "[^,]+") do envs[#envs + 1] = id end
  if #envs == 0 then error("HB_ENVS is empty") end
  prefix = (os.getenv("HB_PREFIX") or "b") .. "-t" .. tostring(tid) .. "-"
  local kind = os.getenv("HB_KIND") or "vms"
  if (os.getenv("HB_DIALECT") or "mockcloud") == "original" then
    if kind ~= "vms" then error("HB_DIALECT=original: only HB_KIND=vms") end
    path, open, extra = "/api/v1/vms/", '","instance_type":"t3.micro","environment_id":', '}'
  elseif kind == "volumes" then
    path, open, extra = "/api/v1/volumes/", '","environment_id":"', '","size_gb":10}'
  else
    path, open, extra = "/api/v1/vms/", '","environment_id":"',
                        '","cpu":1,"memory_mb":1024,"image":"ubuntu-22.04"}'
  end
end

local headers = { ["Content-Type"] = "application/json" }
function request()
  n = n + 1
  local body = '{"name":"' .. prefix .. n .. open .. envs[n % #envs + 1] .. extra
  return wrk.format("POST", path, headers, body)
end
