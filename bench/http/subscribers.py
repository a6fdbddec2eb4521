#!/usr/bin/env python3
"""Event-stream subscribers and a background writer for bench/http/run.sh (--only subscribers).

  subscribers.py hold --port P -n N --status FILE [--host H] [--path /api/v1/events] [--timeout S]
      Opens N connections, sends each `GET /api/v1/events`, checks that every one gets a
      `200` head with `Content-Type: text/event-stream` (exit 1 at once, with the reasons,
      otherwise), then keeps reading them all and throws the bytes away, counting per connection
      the bytes, frames (blank-line terminated), events (`data:` lines), heartbeats and resync
      markers. It writes one `key=value` line to FILE (atomically: a temporary file renamed)
      when all N are streaming (report=0) and again at each SIGUSR1 (report=1, 2, ...); the
      line says how many are still open. SIGTERM or SIGINT: a last report, then exit 0 if all N
      are still open, 3 if not.

  subscribers.py write --port P --envs ID[,ID...] --status FILE [--rate R] [--advance-every S]
      A background writer: R VM creates per second (keep-alive, environments round-robin,
      names w<pid>-<counter>) and `POST /_mock/clock/advance {"seconds": 61}` every S seconds
      (virtual clock: every VM created before it becomes running), so that each create makes two
      events for every subscriber. Writes `started=yes` to FILE when it starts, and its counts
      there when SIGTERM/SIGINT stops it.

Only the standard library (selectors: epoll on Linux, no limit of 1,024 descriptors).
"""
import argparse
import errno
import http.client
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time

TAIL = 32  # bytes kept from the previous chunk, so that markers cut in two still count once
MARKERS = {  # counter: bytes that mark it in the stream
    "frames": b"\n\n",
    "events": b"\ndata: ",
    "heartbeats": b": heartbeat",
    "resyncs": b"event: resync",
}
MAX_PENDING = 200  # connections being opened at once (kept below the listen backlog)


def raise_nofile(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        new = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed, 65536))
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    if soft != resource.RLIM_INFINITY and soft < needed:
        sys.exit(f"subscribers.py: RLIMIT_NOFILE {soft} (hard {hard}) < {needed} needed")


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def write_status(path, fields):
    line = " ".join(f"{k}={v}" for k, v in fields.items()) + "\n"
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(line)
    os.replace(tmp, path)


class Conn:
    __slots__ = ("sock", "state", "head", "tail", "bytes", "error") + tuple(MARKERS)

    def __init__(self, sock):
        self.sock, self.state, self.head, self.tail, self.bytes, self.error = (
            sock, "connecting", b"", b"", 0, "")
        for k in MARKERS:
            setattr(self, k, 0)

    def feed(self, data):
        self.bytes += len(data)
        joined = self.tail + data
        for k, m in MARKERS.items():
            n = joined.count(m) - self.tail.count(m)
            if n:
                setattr(self, k, getattr(self, k) + n)
        self.tail = joined[-TAIL:]


def hold(args):
    raise_nofile(args.n + 64)
    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    sel = selectors.DefaultSelector()
    conns, pending, to_open = [], 0, args.n
    flags = {"report": False, "stop": False}
    signal.signal(signal.SIGUSR1, lambda *_: flags.__setitem__("report", True))
    signal.signal(signal.SIGTERM, lambda *_: flags.__setitem__("stop", True))
    signal.signal(signal.SIGINT, lambda *_: flags.__setitem__("stop", True))

    def fail(c, why):
        c.state, c.error = "failed", why
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()

    def open_some():
        nonlocal pending, to_open
        while to_open and pending < MAX_PENDING:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            c = Conn(s)
            conns.append(c)
            to_open -= 1
            pending += 1
            rc = s.connect_ex((args.host, args.port))
            if rc not in (0, errno.EINPROGRESS):
                fail(c, f"connect: {os.strerror(rc)}")
                continue
            sel.register(s, selectors.EVENT_WRITE, c)

    def on_event(c, mask):
        nonlocal pending
        if c.state == "connecting":
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                pending -= 1
                return fail(c, f"connect: {os.strerror(err)}")
            try:
                c.sock.sendall(request)
            except OSError as e:
                pending -= 1
                return fail(c, f"send: {e}")
            c.state = "head"
            sel.modify(c.sock, selectors.EVENT_READ, c)
            return
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            data, why = b"", f"recv: {e}"
        else:
            why = "closed by the server"
        if not data:
            if c.state == "head":
                pending -= 1
                why += f" before the end of the head ({c.head[:80]!r})"
            return fail(c, why)
        if c.state == "head":
            c.head += data
            end = c.head.find(b"\r\n\r\n")
            if end < 0:
                if len(c.head) > 16384:
                    pending -= 1
                    fail(c, "head over 16 KiB")
                return
            pending -= 1
            head, rest = c.head[:end].decode("latin-1"), c.head[end + 4:]
            c.head = head.encode()[:200]
            lines = head.split("\r\n")
            status = lines[0].split(" ", 2)
            ctype = ""
            for line in lines[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-type":
                    ctype = v.strip().lower()
            if len(status) < 2 or status[1] != "200":
                return fail(c, f"status line {lines[0]!r}")
            if not ctype.startswith("text/event-stream"):
                return fail(c, f"Content-Type {ctype!r}")
            c.state = "stream"
            if rest:
                c.feed(rest)
        else:
            c.feed(data)

    def stats(report):
        live = [c for c in conns if c.state == "stream"]
        out = {"report": report, "wanted": args.n, "open": len(live),
               "failed": sum(c.state == "failed" for c in conns)}
        for k in ("bytes",) + tuple(MARKERS):
            v = [getattr(c, k) for c in conns]
            out[f"{k}_sum"] = sum(v)
            out[f"{k}_min"] = min(v) if v else 0
            out[f"{k}_max"] = max(v) if v else 0
        out["cpu_s"] = f"{cpu_seconds():.2f}"
        return out

    def reasons():
        seen = {}
        for c in conns:
            if c.state == "failed":
                seen[c.error] = seen.get(c.error, 0) + 1
        return "; ".join(f"{n} x {why}" for why, n in sorted(seen.items(), key=lambda x: -x[1]))

    t0 = time.monotonic()
    open_some()
    # Phase 1: every connection gets its head, or we fail loudly.
    while True:
        if any(c.state == "failed" for c in conns):
            write_status(args.status, {**stats(0), "ready": "no"})
            sys.exit(f"subscribers.py: {sum(c.state == 'failed' for c in conns)} of {args.n} "
                     f"subscriptions failed: {reasons()}")
        if not to_open and all(c.state == "stream" for c in conns):
            break
        if flags["stop"]:
            sys.exit("subscribers.py: stopped before all subscriptions were streaming")
        if time.monotonic() - t0 > args.timeout:
            states = {}
            for c in conns:
                states[c.state] = states.get(c.state, 0) + 1
            write_status(args.status, {**stats(0), "ready": "no"})
            sys.exit(f"subscribers.py: after {args.timeout} s, not all {args.n} subscriptions "
                     f"are streaming: {states}")
        for key, mask in sel.select(0.2):
            on_event(key.data, mask)
        open_some()
    write_status(args.status, {**stats(0), "ready": "yes",
                               "connect_s": f"{time.monotonic() - t0:.2f}"})
    # Phase 2: read and discard; report on SIGUSR1; stop on SIGTERM.
    report = 0
    while not flags["stop"]:
        for key, mask in sel.select(0.2):
            on_event(key.data, mask)
        if flags["report"]:
            flags["report"] = False
            report += 1
            write_status(args.status, stats(report))
    report += 1
    final = stats(report)
    write_status(args.status, {**final, "final": "yes"})
    if final["open"] != args.n:
        print(f"subscribers.py: {final['open']} of {args.n} subscriptions still open at the end: "
              f"{reasons()}", file=sys.stderr)
        sys.exit(3)


def write(args):
    envs = [e for e in args.envs.split(",") if e]
    flags = {"stop": False}
    signal.signal(signal.SIGTERM, lambda *_: flags.__setitem__("stop", True))
    signal.signal(signal.SIGINT, lambda *_: flags.__setitem__("stop", True))
    conn = http.client.HTTPConnection(args.host, args.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    counts = {"creates": 0, "advances": 0, "errors": 0, "last_error": "none"}

    def call(path, body):
        try:
            conn.request("POST", path, body=json.dumps(body), headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status // 100 != 2:
                counts["errors"] += 1
                counts["last_error"] = f"{path}:{r.status}"
                return False
            return True
        except (OSError, http.client.HTTPException) as e:
            counts["errors"] += 1
            counts["last_error"] = f"{path}:{type(e).__name__}"
            conn.close()
            return False

    write_status(args.status, {"started": "yes"})
    t0 = time.monotonic()
    n = 0
    next_create = t0
    next_advance = t0 + args.advance_every
    period = 1.0 / args.rate if args.rate > 0 else float("inf")
    while not flags["stop"]:
        now = time.monotonic()
        if now >= next_create:
            n += 1
            ok = call("/api/v1/vms/", {"name": f"w{os.getpid()}-{n}",
                                       "environment_id": envs[n % len(envs)], "cpu": 1,
                                       "memory_mb": 1024, "image": "ubuntu-22.04"})
            counts["creates"] += ok
            next_create += period
        elif now >= next_advance:
            counts["advances"] += call("/_mock/clock/advance", {"seconds": 61})
            next_advance += args.advance_every
        else:
            time.sleep(min(next_create, next_advance) - now)
    counts["seconds"] = f"{time.monotonic() - t0:.2f}"
    counts["cpu_s"] = f"{cpu_seconds():.2f}"
    write_status(args.status, counts)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("-n", type=int, required=True)
    w = sub.add_parser("write")
    w.add_argument("--envs", required=True)
    w.add_argument("--rate", type=float, default=10.0)
    w.add_argument("--advance-every", type=float, default=1.0)
    for q in (h, w):
        q.add_argument("--host", default="127.0.0.1")
        q.add_argument("--port", type=int, required=True)
        q.add_argument("--status", required=True)
    h.add_argument("--path", default="/api/v1/events")
    h.add_argument("--timeout", type=float, default=30.0)
    args = p.parse_args()
    hold(args) if args.cmd == "hold" else write(args)


if __name__ == "__main__":
    main()
