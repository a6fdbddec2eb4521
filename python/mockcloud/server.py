"""Runs mockcloud-server as a child process on a free port."""

from __future__ import annotations

import atexit
import collections
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from typing import IO, Deque, Dict, List, Optional, Sequence

_LISTENING = re.compile(r"listening on (http://\S+)")

_running: "set[MockCloudServer]" = set()


def find_server(explicit: Optional[str] = None) -> str:
    """The mockcloud-server executable: ``explicit`` if given, else ``$MOCKCLOUD_SERVER``, else
    ``mockcloud-server`` on ``PATH``. Raises ``FileNotFoundError`` saying how to give it."""
    for source, path in (("--mockcloud-server", explicit),
                         ("MOCKCLOUD_SERVER", os.environ.get("MOCKCLOUD_SERVER") or None)):
        if path is None:
            continue
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
        raise FileNotFoundError(f"mockcloud-server from {source} ({path}) is not an executable "
                                "file")
    found = shutil.which("mockcloud-server")
    if found:
        return found
    raise FileNotFoundError(
        "mockcloud-server not found: pass --mockcloud-server PATH, set MOCKCLOUD_SERVER, or put "
        "it on PATH (build it with `cmake --build build --target mockcloud-server`: it is "
        "build/http/mockcloud-server)")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the server gets SIGTERM if the process that started it dies (even by SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass


class MockCloudServer:
    """A ``mockcloud-server`` process listening on ``127.0.0.1`` and a free port.

    ``start()`` returns once the server printed its address (``url``); ``stop()`` sends SIGTERM,
    waits for a graceful exit, and kills it after ``stop_timeout`` seconds. A context manager;
    servers still running when the interpreter exits are stopped then, and on Linux the server
    also receives SIGTERM if this process dies without stopping it.
    """

    def __init__(self, executable: Optional[str] = None, *, seed: Optional[int] = 42,
                 clock: str = "virtual", log_level: str = "warning",
                 args: Sequence[str] = (), env: Optional[Dict[str, str]] = None,
                 start_timeout: float = 10.0, stop_timeout: float = 5.0) -> None:
        self.executable = find_server(executable)
        self.seed = seed
        self.clock = clock
        self.command: List[str] = [self.executable, "--host", "127.0.0.1", "--port", "0",
                                   "--clock", clock, "--log-level", log_level]
        if seed is not None:
            self.command += ["--seed", str(seed)]
        self.command += list(args)
        self.env = env
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.process: Optional[subprocess.Popen] = None
        self.url: Optional[str] = None
        self.stdout: Deque[str] = collections.deque(maxlen=500)
        self.stderr: Deque[str] = collections.deque(maxlen=500)
        self._first_line: "queue.Queue[Optional[str]]" = queue.Queue()
        self._threads: List[threading.Thread] = []

    def __repr__(self) -> str:
        return f"MockCloudServer(url={self.url!r}, pid={self.pid})"

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process else None

    @property
    def port(self) -> Optional[int]:
        return int(self.url.rsplit(":", 1)[1]) if self.url else None

    def output(self) -> str:
        """What the server printed lately, stdout then stderr (for diagnostics)."""
        return "\n".join(list(self.stdout) + list(self.stderr))

    def start(self) -> "MockCloudServer":
        if self.process is not None:
            raise RuntimeError("this server was already started")
        env = dict(os.environ, **(self.env or {}))
        self.process = subprocess.Popen(
            self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, text=True, errors="replace",
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        _running.add(self)
        self._drain(self.process.stdout, self.stdout, first=True)
        self._drain(self.process.stderr, self.stderr, first=False)
        try:
            line = self._first_line.get(timeout=self.start_timeout)
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"mockcloud-server did not print its address within "
                               f"{self.start_timeout} s: {' '.join(self.command)}\n"
                               f"{self.output()}") from None
        match = _LISTENING.search(line or "")
        if not match:
            code = self.stop()
            raise RuntimeError(f"mockcloud-server did not start (exit code {code}): "
                               f"{' '.join(self.command)}\n{self.output()}")
        self.url = match.group(1)
        return self

    def _drain(self, stream: Optional[IO[str]], lines: Deque[str], *, first: bool) -> None:
        """Reads a pipe to its end on a daemon thread, so that the server never blocks on it."""
        def run() -> None:
            assert stream is not None
            for line in stream:
                lines.append(line.rstrip("\n"))
                if first and len(lines) == 1:
                    self._first_line.put(line)
            if first:
                self._first_line.put(None)  # EOF: the server exited (or closed stdout)
        thread = threading.Thread(target=run, name="mockcloud-server-output", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> Optional[int]:
        """Stops the server (SIGTERM, then SIGKILL after ``stop_timeout``); returns its exit
        code. Safe to call more than once."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in self._threads:
            thread.join(1.0)
        _running.discard(self)
        return process.returncode

    def __enter__(self) -> "MockCloudServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()
