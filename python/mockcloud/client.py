"""HTTP client of mockcloud-server.

``BaseMockCloud`` holds what does not depend on the wire dialect of ``/api/v1``: the transport
(a ``requests.Session`` and error mapping), the ``/_mock`` test controls, ``settle`` and
``wait_for``. A dialect subclass adds the resource methods and two hooks that ``settle`` and
``wait_for`` use (``_pending_etas`` and ``_refresh``). ``MockCloud`` is the server's default
dialect (UUID ids, JSON-array lists with ``X-Total-Count``, ``202 Accepted`` for VM and volume
operations). The original Python Mock Cloud's dialect (``--dialect original``: integer ids,
``{"vms": [...], "total": N}`` lists, 200 task envelopes) is not served yet; it will be a second
subclass of ``BaseMockCloud``.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Union

import requests

from .errors import MockCloudError, MockCloudTimeout

Resource = Dict[str, Any]
IdOrResource = Union[str, int, Mapping[str, Any]]

#: Statuses of a VM or volume with an operation in flight.
IN_FLIGHT = ("creating", "deleting")


def parse_time(text: str) -> datetime:
    """Parses the server's RFC 3339 timestamps (``2030-01-01T00:00:00.000Z``)."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _id(value: IdOrResource) -> str:
    """An id, given either the id itself or a resource (a dict with ``id``)."""
    if isinstance(value, Mapping):
        return str(value["id"])
    return str(value)


def _body(**fields: Any) -> Dict[str, Any]:
    """A request body without the fields left at ``None`` (the server's defaults apply)."""
    return {k: v for k, v in fields.items() if v is not None}


class BaseMockCloud:
    """Transport, test controls, ``settle`` and ``wait_for``, common to every dialect."""

    dialect = ""

    def __init__(self, base_url: str = "http://127.0.0.1:8000", *,
                 session: Optional[requests.Session] = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self._clock_mode: Optional[str] = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "BaseMockCloud":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- transport ----

    def request(self, method: str, path: str, *, json: Any = None,
                params: Optional[Mapping[str, Any]] = None,
                headers: Optional[Mapping[str, str]] = None) -> requests.Response:
        """Sends one request; returns the response, or raises ``MockCloudError`` for 4xx/5xx."""
        url = self.base_url + path
        if params is not None:
            params = {k: v for k, v in params.items() if v is not None}
        try:
            response = self.session.request(method, url, json=json, params=params,
                                            headers=headers, timeout=self.timeout)
        except requests.RequestException as e:
            raise MockCloudError(None, str(e), method=method, url=url) from e
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise MockCloudError(response.status_code, detail, method=method, url=url,
                                 response=response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # ---- service and test controls (/_mock: the same in every dialect) ----

    def health(self) -> Resource:
        return self._json("GET", "/health")

    def reset(self, seed: Optional[int] = None) -> None:
        """A clean slate: no resources, tasks or faults, the start-up settings, the clock at its
        start; ``seed`` set (``None`` keeps the current one)."""
        self._json("POST", "/_mock/reset", json={"seed": seed})

    def config(self) -> Resource:
        """The runtime settings (``GET /_mock/config``)."""
        return self._json("GET", "/_mock/config")

    def patch_config(self, settings: Optional[Mapping[str, Any]] = None, **more: Any) -> Resource:
        """Changes runtime settings, e.g. ``patch_config(worker_failure_rate=0)``; returns all."""
        body = dict(settings or {})
        body.update(more)
        return self._json("PATCH", "/_mock/config", json=body)

    def clock(self) -> Resource:
        """``{"mode": "system" | "virtual", "now": "..."}``."""
        return self._json("GET", "/_mock/clock")

    @property
    def clock_mode(self) -> str:
        """``"virtual"`` or ``"system"`` (asked once: a reset does not change it)."""
        if self._clock_mode is None:
            self._clock_mode = self.clock()["mode"]
        return self._clock_mode

    def now(self) -> datetime:
        """The server's current time (virtual time under a virtual clock)."""
        return parse_time(self.clock()["now"])

    def advance(self, seconds: float) -> Resource:
        """Moves a virtual clock forward; returns ``{"now": ..., "fired": N}``. A 409 under the
        system clock."""
        return self._json("POST", "/_mock/clock/advance", json={"seconds": seconds})

    def fail_next(self, operation: str, n: int = 1) -> Resource:
        """The next ``n`` operations ``operation`` (``vm.create``, ``vm.delete``,
        ``volume.create``, ``volume.delete``) fail when they complete."""
        return self._json("POST", "/_mock/faults", json={"operation": operation, "fail_next": n})

    def fail_route(self, route: str, status: int, rate: float = 1.0) -> Resource:
        """``route`` (``"POST /api/v1/vms"``) answers ``status`` at that ``rate``."""
        return self._json("POST", "/_mock/faults",
                          json={"route": route, "status": status, "rate": rate})

    def add_latency(self, latency_ms: int) -> Resource:
        """Delays every ``/api/v1`` response by ``latency_ms`` real milliseconds."""
        return self._json("POST", "/_mock/faults", json={"latency_ms": latency_ms})

    def faults(self) -> List[Resource]:
        return self._json("GET", "/_mock/faults")

    def delete_fault(self, fault: IdOrResource) -> None:
        self._json("DELETE", f"/_mock/faults/{_id(fault)}")

    def clear_faults(self) -> None:
        self._json("DELETE", "/_mock/faults")

    # ---- waiting ----

    def settle(self, *, max_rounds: int = 100, timeout: float = 600.0) -> int:
        """Lets every operation in flight complete: afterwards no VM or volume is ``creating``
        or ``deleting``. Returns how many completions fired.

        Under a virtual clock it advances by the longest remaining duration, as many times as
        needed (a delete of a creating VM schedules its deletion), at most ``max_rounds``
        times. Under the system clock it polls for up to ``timeout`` real seconds. Raises
        ``MockCloudTimeout`` when operations are still in flight then.
        """
        if self.clock_mode != "virtual":
            self.wait_for(lambda: not self._pending_etas(), timeout=timeout)
            return 0
        fired = 0
        for _ in range(max_rounds):
            etas = self._pending_etas()
            if not etas:
                return fired
            step = max((max(etas) - self.now()).total_seconds(), 0.001)
            fired += self.advance(step)["fired"]
        left = len(self._pending_etas())
        if left:
            raise MockCloudTimeout(f"settle: {left} operation(s) still in flight after "
                                   f"{max_rounds} advances of the virtual clock")
        return fired

    def wait_for(self, target: Union[Callable[[], Any], Mapping[str, Any]],
                 status: Union[str, Iterable[str], None] = None, *, timeout: float = 120.0,
                 interval: float = 0.2) -> Any:
        """Waits until a condition holds and returns what satisfied it.

        - ``wait_for(predicate)``: until ``predicate()`` returns something truthy; returns it.
        - ``wait_for(resource, "running")`` (or a set of statuses, e.g.
          ``{"running", "error"}``): until the resource (a dict this client returned: a VM,
          volume, environment or task) has that status (task: ``state``); returns it as it is
          then. The status ``"deleted"`` waits until it is gone, and returns ``None``.

        ``timeout`` is in the server's seconds. Under a virtual clock the clock is advanced
        from deadline to deadline (the next due operation) until the condition holds, with no
        real waiting; if nothing is in flight, nothing can change and it fails at once. Under
        the system clock it polls every ``interval`` real seconds. Raises ``MockCloudTimeout``.
        """
        if callable(target):
            if status is not None:
                raise TypeError("wait_for(predicate) takes no status")
            check, describe = target, (lambda: f"{getattr(target, '__name__', target)} is false")
        else:
            if status is None:
                raise TypeError("wait_for(resource, status): give the status to wait for")
            wanted = {status} if isinstance(status, str) else set(status)
            last: Dict[str, Any] = {}

            def check() -> Any:
                current = self._refresh(target)
                seen = "deleted" if current is None else self._status_of(current)
                last["seen"] = seen
                if seen in wanted:
                    return current if current is not None else True
                return None

            def describe() -> str:
                return (f"{_kind_of(target)} {_id(target)} is {last.get('seen')!r}, "
                        f"not {' or '.join(sorted(map(repr, wanted)))}")

        def result(value: Any) -> Any:
            return None if value is True and not callable(target) else value

        if self.clock_mode == "virtual":
            now = self.now()
            deadline = now.timestamp() + timeout
            while True:
                value = check()
                if value:
                    return result(value)
                now = self.now()
                remaining = deadline - now.timestamp()
                if remaining <= 0:
                    raise MockCloudTimeout(f"wait_for: after {timeout} virtual s, {describe()}")
                etas = [e for e in self._pending_etas()]
                if not etas:
                    raise MockCloudTimeout(f"wait_for: {describe()}, and nothing is in flight, "
                                           "so nothing can change under the virtual clock")
                step = (min(etas) - now).total_seconds()
                self.advance(min(max(step, 0.001), remaining))
        end = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return result(value)
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise MockCloudTimeout(f"wait_for: after {timeout} s, {describe()}")
            time.sleep(min(interval, remaining))

    # ---- dialect hooks ----

    def _pending_etas(self) -> List[datetime]:
        """When each operation in flight (a VM or volume creating or deleting) is due."""
        raise NotImplementedError

    def _refresh(self, resource: Mapping[str, Any]) -> Optional[Resource]:
        """The resource as it is now, or ``None`` when it no longer exists."""
        raise NotImplementedError

    def _status_of(self, resource: Mapping[str, Any]) -> str:
        return str(resource.get("status", resource.get("state")))


def _kind_of(resource: Mapping[str, Any]) -> str:
    """Which kind a resource of the default dialect is, from its fields."""
    if "size_gb" in resource:
        return "volume"
    if "cpu" in resource:
        return "vm"
    if "state" in resource and "kind" in resource:
        return "task"
    if "rules" in resource:
        return "security_group"
    if "cidr" in resource:
        return "environment"
    raise ValueError(f"not a mockcloud resource: {dict(resource)!r}")


class MockCloud(BaseMockCloud):
    """Client of mockcloud-server's default dialect of ``/api/v1``.

    Resources are the server's JSON objects, as dicts. Methods that take an id also take the
    resource itself. Lists return every item matching the filters (fetched page by page),
    unless ``skip`` or ``limit`` is given, which fetches that one page. Errors raise
    ``MockCloudError`` with the status and the body's ``detail``.
    """

    dialect = "default"
    API = "/api/v1"
    #: Items fetched per request when a list fetches every page (the server's maximum).
    page_size = 1000

    _PATHS = {
        "environment": "environments",
        "security_group": "security-groups",
        "vm": "vms",
        "volume": "volumes",
        "task": "tasks",
    }

    # ---- generic ----

    def _list(self, collection: str, params: Mapping[str, Any]) -> List[Resource]:
        path = f"{self.API}/{collection}"
        params = {k: v for k, v in params.items() if v is not None}
        if "skip" in params or "limit" in params:
            return self._json("GET", path, params=params)
        items: List[Resource] = []
        while True:
            response = self.request("GET", path, params={**params, "skip": len(items),
                                                         "limit": self.page_size})
            page = response.json()
            items.extend(page)
            total = int(response.headers.get("X-Total-Count", len(items)))
            if not page or len(items) >= total:
                return items

    def _create(self, collection: str, body: Dict[str, Any],
                idempotency_key: Optional[str]) -> Resource:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._json("POST", f"{self.API}/{collection}", json=body, headers=headers)

    def _get(self, collection: str, resource: IdOrResource) -> Resource:
        return self._json("GET", f"{self.API}/{collection}/{_id(resource)}")

    def _delete(self, collection: str, resource: IdOrResource) -> Optional[Resource]:
        return self._json("DELETE", f"{self.API}/{collection}/{_id(resource)}")

    # ---- environments ----

    def create_environment(self, name: str, *, cidr: Optional[str] = None,
                           description: Optional[str] = None,
                           idempotency_key: Optional[str] = None, **extra: Any) -> Resource:
        return self._create("environments", _body(name=name, cidr=cidr, description=description,
                                                  **extra), idempotency_key)

    def get_environment(self, environment: IdOrResource) -> Resource:
        return self._get("environments", environment)

    def list_environments(self, *, name: Optional[str] = None, skip: Optional[int] = None,
                          limit: Optional[int] = None) -> List[Resource]:
        return self._list("environments", dict(name=name, skip=skip, limit=limit))

    def delete_environment(self, environment: IdOrResource) -> None:
        self._delete("environments", environment)

    # ---- security groups ----

    def create_security_group(self, name: str, environment: IdOrResource, *,
                              rules: Optional[List[Mapping[str, Any]]] = None,
                              description: Optional[str] = None,
                              idempotency_key: Optional[str] = None, **extra: Any) -> Resource:
        body = _body(name=name, environment_id=_id(environment), rules=rules,
                     description=description, **extra)
        return self._create("security-groups", body, idempotency_key)

    def get_security_group(self, group: IdOrResource) -> Resource:
        return self._get("security-groups", group)

    def list_security_groups(self, *, environment: Optional[IdOrResource] = None,
                             name: Optional[str] = None, skip: Optional[int] = None,
                             limit: Optional[int] = None) -> List[Resource]:
        env = _id(environment) if environment is not None else None
        return self._list("security-groups",
                          dict(environment_id=env, name=name, skip=skip, limit=limit))

    def delete_security_group(self, group: IdOrResource) -> None:
        self._delete("security-groups", group)

    # ---- VMs ----

    def create_vm(self, name: str, environment: IdOrResource, *, cpu: Optional[int] = None,
                  memory_mb: Optional[int] = None, image: Optional[str] = None,
                  security_groups: Optional[Iterable[IdOrResource]] = None,
                  idempotency_key: Optional[str] = None, **extra: Any) -> Resource:
        """Starts a creation: returns the VM in ``creating`` (202)."""
        groups = [_id(g) for g in security_groups] if security_groups is not None else None
        body = _body(name=name, environment_id=_id(environment), cpu=cpu, memory_mb=memory_mb,
                     image=image, security_group_ids=groups, **extra)
        return self._create("vms", body, idempotency_key)

    def get_vm(self, vm: IdOrResource) -> Resource:
        return self._get("vms", vm)

    def list_vms(self, *, environment: Optional[IdOrResource] = None,
                 status: Optional[str] = None, name: Optional[str] = None,
                 skip: Optional[int] = None, limit: Optional[int] = None) -> List[Resource]:
        env = _id(environment) if environment is not None else None
        return self._list("vms", dict(environment_id=env, status=status, name=name, skip=skip,
                                      limit=limit))

    def delete_vm(self, vm: IdOrResource) -> Resource:
        """Starts a deletion: returns the VM in ``deleting`` (202)."""
        return self._delete("vms", vm)

    # ---- volumes ----

    def create_volume(self, name: str, environment: IdOrResource, size_gb: int, *,
                      volume_type: Optional[str] = None, idempotency_key: Optional[str] = None,
                      **extra: Any) -> Resource:
        """Starts a creation: returns the volume in ``creating`` (202)."""
        body = _body(name=name, environment_id=_id(environment), size_gb=size_gb,
                     volume_type=volume_type, **extra)
        return self._create("volumes", body, idempotency_key)

    def get_volume(self, volume: IdOrResource) -> Resource:
        return self._get("volumes", volume)

    def list_volumes(self, *, environment: Optional[IdOrResource] = None,
                     status: Optional[str] = None, name: Optional[str] = None,
                     skip: Optional[int] = None, limit: Optional[int] = None) -> List[Resource]:
        env = _id(environment) if environment is not None else None
        return self._list("volumes", dict(environment_id=env, status=status, name=name,
                                          skip=skip, limit=limit))

    def delete_volume(self, volume: IdOrResource) -> Resource:
        """Starts a deletion: returns the volume in ``deleting`` (202)."""
        return self._delete("volumes", volume)

    def attach_volume(self, volume: IdOrResource, vm: IdOrResource) -> Resource:
        """Attaches an ``available`` volume to a ``running`` VM; returns the volume, ``in-use``."""
        return self._json("POST", f"{self.API}/volumes/{_id(volume)}/attach/{_id(vm)}")

    def detach_volume(self, volume: IdOrResource) -> Resource:
        """Detaches an ``in-use`` volume; returns it, ``available``."""
        return self._json("POST", f"{self.API}/volumes/{_id(volume)}/detach")

    # ---- tasks ----

    def get_task(self, task: IdOrResource) -> Resource:
        """A task by its id (a VM's or volume's ``task_id``)."""
        return self._get("tasks", task)

    def list_tasks(self, *, resource: Optional[IdOrResource] = None,
                   state: Optional[str] = None, skip: Optional[int] = None,
                   limit: Optional[int] = None) -> List[Resource]:
        res = _id(resource) if resource is not None else None
        return self._list("tasks", dict(resource_id=res, state=state, skip=skip, limit=limit))

    # ---- hooks of settle and wait_for ----

    def _pending_etas(self) -> List[datetime]:
        # Every VM or volume that is creating or deleting has exactly one STARTED task.
        return [parse_time(t["eta"]) for t in self.list_tasks(state="STARTED")]

    def _refresh(self, resource: Mapping[str, Any]) -> Optional[Resource]:
        try:
            return self._get(self._PATHS[_kind_of(resource)], resource)
        except MockCloudError as e:
            if e.status == 404:
                return None
            raise
