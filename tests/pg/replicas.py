#!/usr/bin/env python3
"""tests/pg/replicas.py SERVER [CASE...]: several mockcloud-server processes ("replicas") given
the same --database-url are one cloud. Run under tests/pg/with-postgres.sh (ctest
postgres-replicas); each case uses a database of its own, dropped at its end.

  start   3 replicas launched at once on an empty database all start, and agree.
  shared  3 replicas, virtual clock, seed 42: ~70 VMs created in parallel across them (names
          raced on several replicas at once), volumes attached from a third replica, deletions,
          read-your-writes after every write, one clock advanced from one replica; then on every
          replica: IPs unique, everything settled, attachments symmetric, the same lists, no task
          completed twice (the journal), /_mock/invariants clean; /_mock/config, /_mock/faults and
          /_mock/reset cloud-wide; and the same creations on one in-memory server with the same
          seed give the same ids and outcomes.
  kill    3 replicas, system clock, 1-2 s creations: clients create VMs round-robin while one
          replica is killed with SIGKILL; every acknowledged create exists on the survivors and
          settles there in time, exactly once; a replica started afterwards sees the same state.
  head    2 replicas of one I/O thread each, the journal's head held by another session: a write
          on replica 1 waits for it while the replica answers reads at once, then goes on.
  outage  2 replicas under a light load while PostgreSQL stops for ~3 s (MOCKCLOUD_TEST_PG_CTL,
          MOCKCLOUD_TEST_PGDATA): 503 with Retry-After meanwhile (never a 500, a timeout or a
          crash), then writes succeed again on both within 10 s and nothing acknowledged is lost.

Prints "ok: ..." per check and "FAILED: ..." per failure; exits 1 on any failure. The servers'
logs are kept (and their directory printed) when a case failed, or with MOCKCLOUD_REPLICAS_KEEP=1.
"""
import collections
import concurrent.futures
import datetime
import http.client
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SEED = 42
CLIENT_TIMEOUT = 5.0  # seconds per request: a server that hangs is a failure, not a stuck test
SLACK = 5.0  # seconds a completion may come after its due time once its replica is killed
FINAL = ("running", "error")  # a VM's settled statuses
VOLUME_FINAL = ("available", "in-use", "error")

failures = 0


def check(ok, what, detail=""):
    global failures
    if ok:
        print(f"ok: {what}", flush=True)
    else:
        failures += 1
        print(f"FAILED: {what}" + (f": {detail}" if detail else ""), flush=True)
    return ok


# ---- HTTP ---------------------------------------------------------------------------------------


class Reply:
    def __init__(self, status=0, headers=None, body=None, error=None, start=0.0, end=0.0):
        self.status, self.headers, self.body, self.error = status, headers or {}, body, error
        self.start, self.end = start, end  # time.monotonic() around the request

    def __repr__(self):
        if self.error is not None:
            return f"no answer ({self.error!r})"
        return f"{self.status} {json.dumps(self.body)[:300]}"


def call(port, method, path, body=None, timeout=CLIENT_TIMEOUT):
    """One request on a connection of its own; status 0 and .error when there is no answer."""
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {} if data is None else {"Content-Type": "application/json"}
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, parsed, None, start,
                     time.monotonic())
    except (OSError, http.client.HTTPException) as e:
        return Reply(error=e, start=start, end=time.monotonic())
    finally:
        conn.close()


def list_all(port, kind, query=""):
    """Every item of /api/v1/KIND/ (pages of 1,000), or None when a page fails."""
    items = []
    while True:
        r = call(port, "GET", f"/api/v1/{kind}/?limit=1000&skip={len(items)}{query}")
        if r.status != 200:
            return None
        items += r.body
        if len(r.body) < 1000 or len(items) >= int(r.headers.get("x-total-count", 0)):
            return items


def snapshot(port, with_clock=True):
    """Everything a replica lists, for comparing replicas."""
    snap = {kind: list_all(port, kind)
            for kind in ("environments", "security-groups", "vms", "volumes", "tasks")}
    for path in ("/_mock/config", "/_mock/faults") + (("/_mock/clock",) if with_clock else ()):
        snap[path] = call(port, "GET", path).body
    return snap


def differences(a, b):
    """A short description of how two snapshots differ."""
    out = []
    for key in a:
        if a[key] == b[key]:
            continue
        if isinstance(a[key], list) and isinstance(b[key], list):
            ia = {x.get("id"): x for x in a[key]}
            ib = {x.get("id"): x for x in b[key]}
            if ia == ib:
                out.append(f"{key}: same items, another order")
                continue
            changed = sorted(k for k in ia.keys() & ib.keys() if ia[k] != ib[k])
            fields = [{f: (ia[k].get(f), ib[k].get(f)) for f in ia[k].keys() | ib[k].keys()
                       if ia[k].get(f) != ib[k].get(f)} for k in changed[:3]]
            out.append(f"{key}: {len(ia.keys() - ib.keys())} only in the first, "
                       f"{len(ib.keys() - ia.keys())} only in the second, {len(changed)} differ"
                       + (f" (e.g. {list(zip(changed, fields))})" if changed else ""))
        else:
            out.append(f"{key}: {json.dumps(a[key])[:200]} vs {json.dumps(b[key])[:200]}")
    return "; ".join(out)


def in_parallel(fn, args, workers):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, args))


def at_once(calls):
    """Runs the (port, method, path, body) calls together, released by a barrier."""
    barrier = threading.Barrier(len(calls))

    def go(c):
        barrier.wait()
        return call(*c)

    return in_parallel(go, calls, len(calls))


def iso_seconds(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


# ---- PostgreSQL and the servers -----------------------------------------------------------------

BASE_URL = os.environ.get("MOCKCLOUD_TEST_DATABASE_URL", "")
PSQL = shutil.which("psql") or os.path.join(
    os.environ.get("MOCKCLOUD_PG_BIN", "/usr/lib/postgresql/15/bin"), "psql")
# Settings the servers must not take from this process's environment.
UNSET = ("DATA_DIR", "DATABASE_URL", "PORT", "HOST", "SEED", "CLOCK", "DIALECT", "CONTROL_TOKEN",
         "TIME_SCALE", "WORKER_FAILURE_RATE", "VIRTUAL_START", "LOG_LEVEL", "LOG_FORMAT")


def psql(url, sql):
    r = subprocess.run([PSQL, url, "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"psql: {sql}: {r.stderr.strip()}")
    return r.stdout


def varint(body, i):
    value, shift = 0, 0
    while True:
        b = body[i]
        value |= (b & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if b < 0x80:
            return value, i


def completed_tasks(url):
    """The task id of every task.completed record of the journal, in order. A record's body starts
    with the task's Uuid as two varints, hi then lo (src/journal.hpp, src/journal_codec.hpp)."""
    ids = []
    for line in psql(url, "SELECT encode(body, 'hex') FROM mockcloud_journal"
                          " WHERE kind = 'task.completed' ORDER BY seq").split():
        body = bytes.fromhex(line)
        hi, i = varint(body, 0)
        lo, _ = varint(body, i)
        h = f"{hi:016x}{lo:016x}"
        ids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return ids


class Server:
    def __init__(self, label, proc, logs):
        self.label, self.proc, self.logs, self.port = label, proc, logs, None

    def alive(self):
        return self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stderr(self):
        with open(self.logs + ".err", errors="replace") as f:
            return f.read().strip()


class Cloud:
    """The replicas of one case, their database and their logs' directory."""

    def __init__(self, name):
        self.db = f"mcreplicas_{name}_{os.getpid()}"
        self.url = BASE_URL.rsplit("/", 1)[0] + "/" + self.db
        self.dir = tempfile.mkdtemp(prefix=f"mockcloud-replicas-{name}-")
        self.servers, self.loads, self.failures_before = [], [], failures
        psql(BASE_URL, f"CREATE DATABASE {self.db}")

    def launch(self, label, args, database=True):
        env = {k: v for k, v in os.environ.items() if k not in UNSET}
        logs = os.path.join(self.dir, label)
        cmd = [SERVER, "--port", "0", "--host", "127.0.0.1", "--seed", str(SEED),
               "--log-level", "warning", *args] + (["--database-url", self.url] if database else [])
        with open(logs + ".out", "w") as out, open(logs + ".err", "w") as err:
            s = Server(label, subprocess.Popen(cmd, stdout=out, stderr=err, env=env), logs)
        self.servers.append(s)
        return s

    def wait_listening(self, s, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with open(s.logs + ".out", errors="replace") as f:
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                s.port = int(m.group(1))
                return True
            if not s.alive():
                break
            time.sleep(0.05)
        return False

    def start(self, n, args, prefix="replica", together=False):
        """n replicas: the first alone (it creates the schema), then the others together, or all
        together. All of them, or None (reported) if one did not start."""
        servers = [self.launch(f"{prefix}-0", args)]
        started = [together or self.wait_listening(servers[0])]
        servers += [self.launch(f"{prefix}-{i}", args) for i in range(1, n)]
        started = [ok and self.wait_listening(s) for ok, s in zip(started + [True] * n, servers)]
        for s, ok in zip(servers, started):
            if not ok:
                state = "still running" if s.alive() else f"exit code {s.proc.returncode}"
                check(False, f"{s.label} starts on the shared database ({state})",
                      s.stderr()[-500:] or "(nothing on stderr)")
        if not all(started):
            return None
        check(True, f"{n} replica(s) started {'all at once ' if together else ''}on the shared "
              "database")
        return servers

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        """Stops the load and the servers, drops the database; keeps the logs when this case
        failed (or MOCKCLOUD_REPLICAS_KEEP is set), and says where."""
        for load in self.loads:
            load.stop()
        for s in self.servers:
            s.kill9()
        try:
            psql(BASE_URL, f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        except Exception as e:  # noqa: BLE001 (a failure to clean up is not the test's verdict)
            print(f"warning: {e}", file=sys.stderr)
        if exc or failures > self.failures_before or os.environ.get("MOCKCLOUD_REPLICAS_KEEP"):
            print(f"logs of the servers: {self.dir}", flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# ---- checks shared by the cases -----------------------------------------------------------------


def check_settled_state(servers, cidr, label="", with_clock=True):
    """On every replica: all settled, IPs unique in the CIDR, attachments symmetric, invariants
    clean; and the same lists everywhere (and the same virtual clock). Returns replica 0's
    snapshot."""
    snaps = []
    net = ipaddress.ip_network(cidr)
    for s in servers:
        snap = snapshot(s.port, with_clock)
        snaps.append(snap)
        vms, volumes = snap["vms"], snap["volumes"]
        if not check(vms is not None and volumes is not None, f"{s.label}: lists VMs and volumes"):
            continue
        unsettled = [v for v in vms if v["status"] not in FINAL]
        unsettled += [v for v in volumes if v["status"] not in VOLUME_FINAL]
        check(not unsettled, f"{s.label}: all {len(vms)} VMs and {len(volumes)} volumes settled",
              f"{len(unsettled)} not, e.g. {unsettled[:2]}")
        running = [v for v in vms if v["status"] == "running"]
        ips = [v["ip_address"] for v in running]
        dup = [ip for ip, n in collections.Counter(ips).items() if n > 1]
        outside = [ip for ip in ips if ip is None or ipaddress.ip_address(ip) not in net]
        check(not dup and not outside,
              f"{s.label}: the {len(running)} running VMs have distinct IPs in {cidr}",
              f"held twice: {dup[:5]}, missing or outside: {outside[:5]}")
        by_vm = {v["id"]: v for v in vms}
        by_volume = {v["id"]: v for v in volumes}
        bad = [v["id"] for v in volumes if v["vm_id"] is not None and (
            v["status"] != "in-use"
            or v["id"] not in by_vm.get(v["vm_id"], {}).get("volume_ids", []))]
        bad += [f"{vm['id']}->{vid}" for vm in vms for vid in vm["volume_ids"]
                if by_volume.get(vid, {}).get("vm_id") != vm["id"]]
        attached = sum(1 for v in volumes if v["vm_id"])
        check(not bad, f"{s.label}: the {attached} attachments are symmetric (volume.vm_id <-> "
              "the VM's volume_ids)", f"broken: {bad[:5]}")
        inv = call(s.port, "GET", "/_mock/invariants")
        check(inv.status == 200 and inv.body.get("ok") is True and not inv.body.get("violations"),
              f"{s.label}: /_mock/invariants is clean", repr(inv))
    for s, snap in zip(servers[1:], snaps[1:]):
        listed = all(x is not None for x in list(snap.values()) + list(snaps[0].values()))
        a, b = without_times(snaps[0]), without_times(snap)
        check(listed and a == b,
              f"{s.label} lists the same state as {servers[0].label}{label}, timestamps aside",
              differences(a, b) if listed else "a list failed")
        check(listed and snap == snaps[0], "... and the same timestamps",
              differences(snaps[0], snap) if listed else "a list failed")
    return snaps[0]


def without_times(snap):
    """A snapshot without the created_at, updated_at and finished_at of its items."""
    return {k: [{f: x for f, x in item.items() if f not in TIMES} for item in v]
            if isinstance(v, list) else v for k, v in snap.items()}


TIMES = ("created_at", "updated_at", "finished_at")


def check_exactly_once(cloud, port):
    """No task completed twice, and every finished task's completion is in the journal."""
    ids = completed_tasks(cloud.url)
    dup = {t: n for t, n in collections.Counter(ids).items() if n > 1}
    check(not dup, f"no task completed twice ({len(ids)} task.completed records in the journal)",
          f"{len(dup)} completed more than once, e.g. {list(dup.items())[:3]}")
    tasks = list_all(port, "tasks")
    if not check(tasks is not None, "the tasks are listed"):
        return
    finished = {t["id"] for t in tasks if t["state"] in ("SUCCESS", "FAILURE")}
    missing, extra = finished - set(ids), set(ids) - finished
    check(not missing and not extra,
          f"the journal's completions are the {len(finished)} finished tasks, each once",
          f"{len(missing)} finished without a record (e.g. {sorted(missing)[:2]}), "
          f"{len(extra)} records of tasks not finished (e.g. {sorted(extra)[:2]})")


def outcome(item):
    return {"id": item["id"], "task_id": item["task_id"],
            "status": "available" if item["status"] == "in-use" else item["status"],
            "error": item["error"]}


# ---- shared: 3 replicas, one virtual clock ------------------------------------------------------

VMS = [f"vm-{i:02d}" for i in range(60)]
RACED = [f"raced-{i}" for i in range(5)]  # each created on all 3 replicas at once
VOLUMES = [f"vol-{i:02d}" for i in range(12)]


Created = collections.namedtuple("Created", "name port reply read")


def create_all(ports, env_id, order):
    """Creates VMS and VOLUMES (in that order, or reversed), each on ports[i % n] and read at once
    on the next port, then each of RACED on all ports at once. Returns the Created of the first
    and {name: the replies} of the raced ones."""
    n = len(ports)
    names = [("vms", v) for v in VMS] + [("volumes", v) for v in VOLUMES]
    if order == "reversed":
        names.reverse()

    def create(arg):
        i, (kind, name) = arg
        body = {"name": name, "environment_id": env_id}
        if kind == "volumes":
            body["size_gb"] = 10
        r = call(ports[i % n], "POST", f"/api/v1/{kind}/", body)
        g = call(ports[(i + 1) % n], "GET", f"/api/v1/{kind}/{r.body['id']}") \
            if r.status == 202 else None
        return Created(name, ports[i % n], r, g)

    results = in_parallel(create, list(enumerate(names)), 6)
    raced = {}
    for name in RACED:
        body = {"name": name, "environment_id": env_id}
        raced[name] = at_once([(p, "POST", "/api/v1/vms/", body) for p in ports])
    return results, raced


def case_start(cloud):
    """3 servers launched at once on an empty database (racing to create the schema)."""
    servers = cloud.start(3, ["--clock", "virtual"], together=True)
    if servers is None:
        return
    r = call(servers[2].port, "POST", "/api/v1/environments/", {"name": "start"})
    check(r.status == 201, "replica 2 creates an environment", repr(r))
    check_settled_state(servers, "10.0.0.0/16")


def case_shared(cloud):
    servers = cloud.start(3, ["--clock", "virtual"])
    if servers is None:
        return
    ports = [s.port for s in servers]

    # An environment on one replica, read at once on another; a name raced on all three.
    r = call(ports[0], "POST", "/api/v1/environments/", {"name": "shared"})
    if not check(r.status == 201, "an environment is created on replica 0", repr(r)):
        return
    env = r.body
    g = call(ports[1], "GET", f"/api/v1/environments/{env['id']}")
    check(g.status == 200 and g.body == env, "replica 1 reads it at once (read-your-writes)",
          repr(g))
    rs = at_once([(p, "POST", "/api/v1/environments/", {"name": "race"}) for p in ports])
    check(sorted(x.status for x in rs) == [201, 409, 409],
          "an environment name raced on 3 replicas: one 201, two 409", repr(rs))

    created_on = shared_creations(ports, env)
    # One clock: advanced on replica 2, every creation completes, seen at once everywhere.
    a = call(ports[2], "POST", "/_mock/clock/advance", {"seconds": 61})
    check(a.status == 200, "the clock advances 61 s on replica 2", repr(a))
    now = a.body.get("now") if a.status == 200 else None
    clocks = [call(p, "GET", "/_mock/clock").body for p in ports]
    check(all(c and c.get("now") == now for c in clocks),
          f"every replica's clock reads {now} at once", repr(clocks))
    creating = {s.label: [v["name"] for kind in ("vms", "volumes")
                          for v in list_all(s.port, kind, "&status=creating") or []]
                for s in servers}
    check(not any(creating.values()), "no replica lists anything creating right after it",
          repr({k: v[:3] for k, v in creating.items() if v}))
    vms, volumes = list_all(ports[0], "vms") or [], list_all(ports[0], "volumes") or []
    outcomes = {v["name"]: outcome(v) for v in vms + volumes}
    envs = {e["name"]: e["id"] for e in list_all(ports[0], "environments") or []}
    errors = sum(1 for o in outcomes.values() if o["status"] == "error")
    print(f"info: {len(outcomes)} creations settled, {errors} in error", flush=True)

    shared_attach_and_delete(servers, vms, volumes, created_on)
    check_settled_state(servers, env["cidr"])
    check_exactly_once(cloud, ports[0])
    shared_controls(ports, env)
    shared_in_memory(cloud, outcomes, envs)


def shared_creations(ports, env):
    """~80 VMs and volumes created in parallel over the replicas, each read at once on the next
    one; names raced on all three. Returns {id: the port that created it}."""
    results, raced = create_all(ports, env["id"], "forward")
    accepted = [x for x in results if x.reply.status == 202]
    check(len(accepted) == len(results),
          f"{len(results)} VM and volume creations spread over 3 replicas from 6 threads: all 202",
          repr([x.reply for x in results if x.reply.status != 202][:3]))
    stale = [x.read for x in accepted if x.read.status != 200 or x.read.body["id"] !=
             x.reply.body["id"] or x.read.body["status"] != "creating"]
    check(not stale, "each is read at once on the next replica, creating (read-your-writes)",
          repr(stale[:3]))
    bad = {n: sorted(x.status for x in rs) for n, rs in raced.items()
           if sorted(x.status for x in rs) != [202, 409, 409]}
    check(not bad, f"{len(RACED)} VM names raced on 3 replicas at once: one 202, two 409 each",
          repr(bad))
    created_on = {x.reply.body["id"]: x.port for x in accepted}
    for rs in raced.values():
        created_on.update({x.body["id"]: p for p, x in zip(ports, rs) if x.status == 202})
    return created_on


def shared_attach_and_delete(servers, vms, volumes, created_on):
    """Attachments made on a replica that created neither side, one volume raced onto two VMs,
    deletions on several replicas: each seen at once on the others."""
    ports = [s.port for s in servers]
    running = [v for v in vms if v["status"] == "running"]
    available = [v for v in volumes if v["status"] == "available"]
    attached, stale = [], []
    for vol in available[:6]:
        vm = next((v for v in running if created_on[v["id"]] != created_on[vol["id"]]
                   and v["id"] not in [a[1] for a in attached]), None)
        if vm is None:
            continue
        third = next(p for p in ports if p not in (created_on[vm["id"]], created_on[vol["id"]]))
        r = call(third, "POST", f"/api/v1/volumes/{vol['id']}/attach/{vm['id']}")
        if r.status == 200:
            attached.append((vol["id"], vm["id"]))
        g = call(ports[(ports.index(third) + 1) % 3], "GET", f"/api/v1/vms/{vm['id']}")
        if g.status != 200 or vol["id"] not in g.body["volume_ids"]:
            stale.append(g)
    check(len(attached) == min(6, len(available)) and len(attached) >= 3,
          f"{len(attached)} volumes attached on a replica that created neither the volume nor "
          "the VM", f"{len(available)} available volumes, {len(running)} running VMs")
    check(not stale, "each attachment is read at once on another replica", repr(stale[:3]))
    if len(available) > 6 and len(running) > 8:
        vol, vm1, vm2 = available[6], running[7], running[8]
        rs = at_once([(ports[0], "POST", f"/api/v1/volumes/{vol['id']}/attach/{vm1['id']}"),
                      (ports[1], "POST", f"/api/v1/volumes/{vol['id']}/attach/{vm2['id']}")])
        check(sorted(x.status for x in rs) == [200, 409],
              "one volume attached to two VMs on two replicas at once: one 200, one 409",
              repr(rs))

    # Two VMs holding volumes, a VM in error, a volume attached to nothing.
    doomed = [("vms", vm) for _, vm in attached[:2]]
    doomed += [("vms", v["id"]) for v in vms if v["status"] == "error"][:1]
    doomed += [("volumes", v["id"]) for v in available[7:][-1:]]
    bad = []
    for i, (kind, rid) in enumerate(doomed):
        r = call(ports[i % 3], "DELETE", f"/api/v1/{kind}/{rid}")
        g = call(ports[(i + 1) % 3], "GET", f"/api/v1/{kind}/{rid}")
        if r.status != 202 or g.status != 200 or g.body["status"] != "deleting":
            bad.append((r, g))
    check(not bad, f"{len(doomed)} deletions on several replicas, each read at once on the next "
          "as deleting", repr(bad[:2]))
    a = call(ports[1], "POST", "/_mock/clock/advance", {"seconds": 11})
    check(a.status == 200, "the clock advances 11 s on replica 1", repr(a))
    left = [(s.label, rid) for s in servers for kind, rid in doomed
            if call(s.port, "GET", f"/api/v1/{kind}/{rid}").status != 404]
    check(not left, "the deleted VMs and volume are gone (404) on every replica", repr(left))


def shared_controls(ports, env):
    """/_mock/config, /_mock/faults and /_mock/reset on one replica act on all."""
    r = call(ports[1], "PATCH", "/_mock/config", {"worker_failure_rate": 0})
    configs = [call(p, "GET", "/_mock/config").body for p in ports]
    check(r.status == 200 and all(c == r.body for c in configs),
          "PATCH /_mock/config on replica 1 is what every replica reads", repr(configs))
    r = call(ports[2], "POST", "/_mock/faults", {"operation": "vm.create", "fail_next": 2})
    faults = [call(p, "GET", "/_mock/faults").body for p in ports]
    check(r.status == 201 and all(f and f == faults[0] for f in faults),
          "a fault added on replica 2 is listed by every replica", repr(faults))
    made = [call(p, "POST", "/api/v1/vms/", {"name": f"fault-{i}", "environment_id": env["id"]})
            for i, p in enumerate(ports)]
    call(ports[0], "POST", "/_mock/clock/advance", {"seconds": 61})
    got = [call(p, "GET", f"/api/v1/vms/{m.body['id']}") if m.status == 202 else m
           for p, m in zip(ports[1:] + ports[:1], made)]
    want = [("error", "injected fault: vm.create failed")] * 2 + [("running", None)]
    check([(g.body.get("status"), g.body.get("error")) if g.status == 200 else g.status
           for g in got] == want,
          "fail_next 2 fails the next 2 creations, on replicas 0 and 1, and not the third",
          repr(got))
    r = call(ports[1], "POST", "/_mock/reset", {"seed": SEED})
    after = [snapshot(p) for p in ports]
    empty = all(not s[k] for s in after
                for k in ("environments", "vms", "volumes", "tasks", "/_mock/faults"))
    check(r.status == 204 and empty, "POST /_mock/reset on replica 1 empties every replica",
          repr(r))
    check(all(s["/_mock/clock"]["now"] == "2030-01-01T00:00:00.000Z"
              and s["/_mock/config"]["worker_failure_rate"] == 0.1 for s in after),
          "... and puts every replica's clock and settings back",
          repr([(s["/_mock/clock"], s["/_mock/config"]) for s in after]))


def shared_in_memory(cloud, outcomes, envs):
    """The same creations on one in-memory server, in reverse: the same ids and outcomes."""
    mem = cloud.launch("memory", ["--clock", "virtual"], database=False)
    if not check(cloud.wait_listening(mem), "an in-memory server starts", mem.stderr()[-300:]):
        return
    menv = call(mem.port, "POST", "/api/v1/environments/", {"name": "shared"}).body
    call(mem.port, "POST", "/api/v1/environments/", {"name": "race"})
    create_all([mem.port], menv["id"], "reversed")
    call(mem.port, "POST", "/_mock/clock/advance", {"seconds": 61})
    mine = {v["name"]: outcome(v) for kind in ("vms", "volumes")
            for v in list_all(mem.port, kind) or []}
    menvs = {e["name"]: e["id"] for e in list_all(mem.port, "environments") or []}
    check(menvs == envs, "the in-memory server gives the environments the same ids",
          f"{menvs} vs {envs}")
    diff = {n: (outcomes.get(n), mine.get(n)) for n in outcomes.keys() | mine.keys()
            if outcomes.get(n) != mine.get(n)}
    check(not diff and len(outcomes) == len(VMS) + len(RACED) + len(VOLUMES),
          f"... and the {len(outcomes)} VMs and volumes the same ids, tasks and outcomes",
          f"{len(diff)} differ, e.g. {list(diff.items())[:2]}")


# ---- kill: SIGKILL of a replica under load ------------------------------------------------------


class Load:
    """Threads creating VMs with unique names round-robin over the live replicas until stopped."""

    def __init__(self, cloud, ports, env_id, threads, pause=0.0, reads=False):
        self.ports, self.env_id, self.pause, self.reads = list(ports), env_id, pause, reads
        self.dead = set()
        self.lock = threading.Lock()
        self.acked = {}  # name -> (port, reply)
        self.replies = []  # (port, method, reply)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(t,), daemon=True)
                        for t in range(threads)]
        cloud.loads.append(self)
        for t in self.threads:
            t.start()

    def run(self, t):
        n, last = 0, None
        while not self.stopping.is_set():
            live = [p for p in self.ports if p not in self.dead]
            port = live[(t + n) % len(live)]
            name = f"load-{t}-{n}"
            r = call(port, "POST", "/api/v1/vms/", {"name": name, "environment_id": self.env_id})
            replies = [(port, "POST", r)]
            if r.status == 202:
                last = r.body["id"]
                with self.lock:
                    self.acked[name] = (port, r)
            if self.reads and last:  # the latest VM this thread created, on another replica
                other = live[(t + n + 1) % len(live)]
                replies.append((other, "GET", call(other, "GET", f"/api/v1/vms/{last}")))
            with self.lock:
                self.replies += replies
            n += 1
            time.sleep(self.pause)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join()


def case_kill(cloud):
    servers = cloud.start(3, ["--clock", "system"])
    if servers is None:
        return
    ports = [s.port for s in servers]
    r = call(ports[2], "PATCH", "/_mock/config",
             {"vm_creation_time_min": 1, "vm_creation_time_max": 2})
    configs = [call(p, "GET", "/_mock/config").body for p in ports]
    check(r.status == 200 and all(c == r.body for c in configs),
          "VM creations shortened to 1-2 s on replica 2: every replica reads it", repr(configs))
    env = call(ports[1], "POST", "/api/v1/environments/", {"name": "kill"}).body

    # The victim is the first started: where one replica fires the real clock's timers, likely
    # the one, so that the survivors must take its duty over, not only its pending operations.
    victim, survivors = servers[0], servers[1:]
    load = Load(cloud, ports, env["id"], threads=4)
    poller = SettlePoller(load, [s.port for s in survivors])
    time.sleep(2)
    load.dead.add(victim.port)
    victim.kill9()
    killed = time.monotonic()
    time.sleep(2)
    load.stop()
    by_port = collections.Counter(p for p, _ in load.acked.values())
    before_kill = sum(1 for p, r in load.acked.values() if p == victim.port and r.end < killed)
    check(before_kill > 0, f"the killed replica acknowledged {before_kill} creates before it died "
          f"(acknowledged per port: {dict(by_port)})")
    refused = [(p, r) for p, _, r in load.replies if p != victim.port and r.status != 202]
    check(not refused, f"the survivors accepted every create ({len(load.acked)} acknowledged)",
          repr(refused[:3]))

    # Every acknowledged create settles on the survivors by its due time + SLACK.
    deadline = time.monotonic() + 2 + SLACK + 5
    while time.monotonic() < deadline and len(poller.settled_at) < len(load.acked):
        time.sleep(0.25)
    poller.stop()
    tasks = {t["id"]: t for t in list_all(survivors[0].port, "tasks") or []}
    late, unsettled, victims = [], [], []
    for name, (port, r) in load.acked.items():
        vid, task = r.body["id"], tasks.get(r.body["task_id"])
        if vid not in poller.settled_at or task is None:
            unsettled.append(name)
            continue
        lateness = poller.settled_at[vid] - iso_seconds(task["eta"])
        if port == victim.port:
            victims.append(lateness)
        if lateness > SLACK:
            late.append((name, port == victim.port, round(lateness, 2)))
    check(not unsettled and not late,
          f"every acknowledged create settled on the survivors within {SLACK:g} s of its due "
          f"time (the killed replica's: at most {max(victims, default=0):.2f} s late)",
          f"{len(unsettled)} never settled (e.g. {unsettled[:3]}); late (name, from the killed "
          f"replica, seconds): {late[:5]}")

    for s in survivors:
        vms = {v["id"] for v in list_all(s.port, "vms") or []}
        lost = [n for n, (_, r) in load.acked.items() if r.body["id"] not in vms]
        check(not lost, f"{s.label} lists all {len(load.acked)} acknowledged creates "
              f"({len(vms)} VMs in all)", f"{len(lost)} missing, e.g. {lost[:3]}")
    check_settled_state(survivors, env["cidr"], with_clock=False)
    check_exactly_once(cloud, survivors[0].port)
    joiner = cloud.start(1, ["--clock", "system"], prefix="restarted")
    if joiner:
        check_settled_state([survivors[0]] + joiner, env["cidr"],
                            " (a replica started after the kill)", with_clock=False)


class SettlePoller:
    """Notes when the replicas at `ports` (in turn, every 0.25 s) first stop listing each VM that
    `load` had acknowledged before the poll began as creating: settled_at, VM id -> time.time()."""

    def __init__(self, load, ports):
        self.load, self.ports, self.settled_at = load, ports, {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stopping.is_set():
            began = time.time()
            with self.load.lock:
                known = {r.body["id"] for _, r in self.load.acked.values()}
            creating = list_all(self.ports[i % len(self.ports)], "vms", "&status=creating")
            if creating is not None:
                for vid in known - {v["id"] for v in creating}:
                    self.settled_at.setdefault(vid, time.time())
            i += 1
            time.sleep(max(0.0, 0.25 - (time.time() - began)))

    def stop(self):
        self.stopping.set()
        self.thread.join()


# ---- outage: PostgreSQL stops and starts again --------------------------------------------------


def pg_ctl(*args):
    cmd = shlex.split(os.environ["MOCKCLOUD_TEST_PG_CTL"])
    cmd += ["-D", os.environ["MOCKCLOUD_TEST_PGDATA"], *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def pg_start():
    log = os.path.join(os.environ["MOCKCLOUD_TEST_PGDATA"], "restart.log")
    return pg_ctl("-l", log, "-w", "-t", "30", "start")


def is_database_503(r):
    """A 503 with a Retry-After of whole seconds and a detail that names the database."""
    return (r.status == 503 and isinstance(r.body, dict)
            and re.fullmatch(r"\d+", r.headers.get("retry-after", "").strip()) is not None
            and "database" in str(r.body.get("detail", "")).lower())


def health_is(s, status, database):
    h = call(s.port, "GET", "/health")
    return check(h.status == status and isinstance(h.body, dict)
                 and h.body.get("database") == database,
                 f"{s.label}: /health is {status} with \"database\": \"{database}\"", repr(h))


def case_outage(cloud):
    if not (os.environ.get("MOCKCLOUD_TEST_PG_CTL") and os.environ.get("MOCKCLOUD_TEST_PGDATA")):
        check(False, "MOCKCLOUD_TEST_PG_CTL and MOCKCLOUD_TEST_PGDATA are set (with-postgres.sh)")
        return
    servers = cloud.start(2, ["--clock", "system"])
    if servers is None:
        return
    ports = [s.port for s in servers]
    call(ports[0], "PATCH", "/_mock/config", {"vm_creation_time_min": 1, "vm_creation_time_max": 2})
    env = call(ports[1], "POST", "/api/v1/environments/", {"name": "outage"}).body
    for s in servers:
        health_is(s, 200, "connected")

    load = Load(cloud, ports, env["id"], threads=2, pause=0.05, reads=True)
    time.sleep(2)
    stopped = pg_ctl("-m", "fast", "-w", "stop")
    if not check(stopped.returncode == 0, "PostgreSQL stops (pg_ctl stop -m fast)",
                 stopped.stderr.strip()):
        return
    try:
        down_from = time.monotonic()
        time.sleep(0.5)
        for s in servers:
            health_is(s, 503, "unreachable")
            create = {"name": f"probe-{s.label}", "environment_id": env["id"]}
            for method, path, body in (("GET", "/api/v1/vms/", None),
                                       ("POST", "/api/v1/vms/", create),
                                       ("GET", "/_mock/config", None),
                                       ("PATCH", "/_mock/config", {"worker_failure_rate": 0.1})):
                r = call(s.port, method, path, body)
                check(is_database_503(r), f"{s.label}: {method} {path} is 503 with Retry-After "
                      "and a detail naming the database",
                      f"{r!r}, Retry-After {r.headers.get('retry-after')!r}")
        time.sleep(max(0.0, 3 - (time.monotonic() - down_from)))
        down_until = time.monotonic()
    finally:
        started = pg_start()
    if not check(started.returncode == 0, "PostgreSQL starts again on the same port",
                 started.stderr.strip()):
        return
    back = time.monotonic()

    # Writes succeed again on both replicas within 10 s.
    for s in servers:
        while True:
            r = call(s.port, "POST", "/api/v1/vms/",
                     {"name": f"back-{s.label}-{time.monotonic()}", "environment_id": env["id"]})
            if r.status == 202 or time.monotonic() - back > 10:
                break
            time.sleep(0.1)
        check(r.status == 202, f"{s.label} accepts creates again "
              f"{time.monotonic() - back:.1f} s after PostgreSQL is back (at most 10 s)", repr(r))
        if r.status == 202:
            load.acked[r.body["name"]] = (s.port, r)
    time.sleep(2)
    load.stop()
    for s in servers:
        health_is(s, 200, "connected")

    during = [(m, r) for _, m, r in load.replies if r.start >= down_from and r.end <= down_until]
    check(len(during) >= 10 and all(is_database_503(r) for _, r in during),
          f"the {len(during)} load requests made while PostgreSQL was down are 503 with "
          "Retry-After, naming the database",
          repr(collections.Counter((m, r.status) for m, r in during)))
    fives = [(m, r) for _, m, r in load.replies if r.status >= 500 and r.status != 503]
    check(not fives, f"no 5xx but 503 among the {len(load.replies)} load requests",
          repr(fives[:3]))
    lost = [(m, r) for _, m, r in load.replies if r.error is not None]
    check(not lost, "no load request timed out or lost its connection", repr(lost[:3]))
    check(all(s.alive() for s in servers), "both replicas are still running")
    print(f"info: load {collections.Counter((m, r.status) for _, m, r in load.replies)}",
          flush=True)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(
            list_all(p, "vms", "&status=creating") != [] for p in ports):
        time.sleep(0.25)
    for s in servers:
        vms = {v["id"] for v in list_all(s.port, "vms") or []}
        missing = [n for n, (_, r) in load.acked.items() if r.body["id"] not in vms]
        check(not missing, f"{s.label} lists all {len(load.acked)} acknowledged creates",
              f"{len(missing)} missing, e.g. {missing[:3]}")
    check_settled_state(servers, env["cidr"], " after the outage", with_clock=False)
    check_exactly_once(cloud, ports[0])


HEAD_LOCK = (0x4D434C44 << 32) | 2  # the journal's head (src/postgres_store.hpp)


def head_holders(url):
    return int(psql(url, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                         " WHERE l.locktype = 'advisory' AND l.objid = 2 AND l.granted"
                         " AND a.application_name = 'mctest-head'").strip())


def case_head(cloud):
    """A write waits for the journal's head off the I/O thread: with the head held by another
    session, a replica of one I/O thread still answers reads at once, then the write goes on
    once the head is given back."""
    servers = cloud.start(2, ["--clock", "virtual", "--threads", "1"])
    if servers is None:
        return
    a, b = servers[0].port, servers[1].port
    r = call(a, "POST", "/api/v1/environments/", {"name": "before"})
    check(r.status == 201, "replica 0 creates an environment", repr(r))
    holder = subprocess.Popen([PSQL, cloud.url, "-qtAX"], stdin=subprocess.PIPE, text=True,
                              stdout=subprocess.DEVNULL,
                              env={**os.environ, "PGAPPNAME": "mctest-head"})
    try:
        holder.stdin.write(f"SELECT pg_advisory_lock({HEAD_LOCK});\n")
        holder.stdin.flush()
        deadline = time.monotonic() + 10
        while head_holders(cloud.url) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        check(head_holders(cloud.url) == 1, "another session holds the head (replica 0 gave it up)")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            write = pool.submit(call, b, "POST", "/api/v1/environments/", {"name": "held"})
            time.sleep(0.3)
            check(not write.done(), "a write on replica 1 waits for the head",
                  repr(write.result()) if write.done() else "")
            reads = [call(b, "GET", "/api/v1/environments/") for _ in range(5)]
            check(all(x.status == 200 for x in reads), "replica 1 answers reads meanwhile",
                  repr([x for x in reads if x.status != 200][:1]))
            slowest = max(x.end - x.start for x in reads)
            check(slowest < 1.0, "... at once, its one I/O thread not blocked by the write",
                  f"slowest read {slowest:.3f} s")
            check(not write.done(), "the write still waits")
            holder.stdin.write(f"SELECT pg_advisory_unlock({HEAD_LOCK});\n")
            holder.stdin.flush()
            r = write.result(timeout=CLIENT_TIMEOUT + 1)
        check(r.status == 201, "the write goes on once the head is given back", repr(r))
        names = sorted(e["name"] for e in list_all(a, "environments"))
        check(names == ["before", "held"], "replica 0 reads it", repr(names))
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


CASES = {"start": case_start, "shared": case_shared, "kill": case_kill, "outage": case_outage,
         "head": case_head}


def main():
    global SERVER
    if len(sys.argv) < 2 or any(c not in CASES for c in sys.argv[2:]):
        print(__doc__, file=sys.stderr)
        return 2
    if not BASE_URL:
        print("replicas.py: run this through tests/pg/with-postgres.sh", file=sys.stderr)
        return 2
    SERVER = sys.argv[1]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # Cloud.__exit__ stops the servers
    for name in sys.argv[2:] or list(CASES):
        print(f"== {name}", flush=True)
        try:
            with Cloud(name) as cloud:
                CASES[name](cloud)
        except Exception as e:  # noqa: BLE001 (reported, and the next case still runs)
            check(False, f"case {name} ran to its end", f"{type(e).__name__}: {e}")
    print(f"{'FAILED' if failures else 'passed'}: {failures} failure(s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
