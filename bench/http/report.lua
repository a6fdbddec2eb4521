-- The machine-readable summary of a wrk run (bench/http/run.sh parses it); wrk's own text summary
-- is printed above it. Defines done() only: no per-request Lua, so wrk's cost is that of a plain
-- URL. Other scripts dofile() this one.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "HBRESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d " ..
    "timeout=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d mean_us=%.1f max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
