"""The plugin's server process: started once, stopped at the end even when tests fail or pytest
is killed; and the client against a server running the system clock."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from mockcloud import MockCloud, MockCloudError, MockCloudServer

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def server_path(mockcloud_server):
    if mockcloud_server is None:
        pytest.skip("runs only when the plugin starts the server (not with --mockcloud-url)")
    return mockcloud_server.executable


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def _wait_dead(pid, seconds=10.0):
    end = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    return not _alive(pid)


def _inner_pytest(tmp_path, test_source, *args):
    """Starts `pytest -p mockcloud.pytest_plugin` on one test file, as a child process."""
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(test_source))
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR, PYTHONDONTWRITEBYTECODE="1")
    env.pop("MOCKCLOUD_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "mockcloud.pytest_plugin",
         "-p", "no:cacheprovider", str(tmp_path / "test_inner.py"), *args],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


SERVER_PID_TEST = """
    import time

    def test_one(mockcloud, mockcloud_server, tmp_path_factory):
        open({pid_file!r}, "w").write(f"{{mockcloud_server.pid}} {{mockcloud_server.seed}}")
        mockcloud.create_environment("dev")
        {body}
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_server_stops_when_the_session_ends_with_failures(tmp_path, server_path):
    pid_file = str(tmp_path / "pid")
    inner = _inner_pytest(tmp_path, SERVER_PID_TEST.format(pid_file=pid_file,
                                                           body="assert False, 'on purpose'"),
                          "--mockcloud-server", server_path, "--mockcloud-seed", "7")
    out, _ = inner.communicate(timeout=60)
    assert inner.returncode == 1, out
    assert "1 failed" in out
    pid, seed = map(int, open(pid_file).read().split())
    assert seed == 7
    assert _wait_dead(pid, 1.0), f"server {pid} outlived the session"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and /proc")
def test_the_server_stops_when_pytest_is_killed(tmp_path, server_path):
    pid_file = str(tmp_path / "pid")
    inner = _inner_pytest(tmp_path, SERVER_PID_TEST.format(pid_file=pid_file,
                                                           body="time.sleep(60)"),
                          "--mockcloud-server", server_path)
    try:
        end = time.monotonic() + 30
        while not os.path.exists(pid_file) or not open(pid_file).read():
            assert inner.poll() is None and time.monotonic() < end, inner.communicate()[0]
            time.sleep(0.05)
        pid = int(open(pid_file).read().split()[0])
        assert _alive(pid)
        inner.send_signal(signal.SIGKILL)  # no teardown at all
        inner.communicate(timeout=10)
        assert _wait_dead(pid), f"server {pid} outlived a killed pytest"
    finally:
        if inner.poll() is None:
            inner.kill()
            inner.communicate()


def test_a_missing_server_is_a_clear_failure(tmp_path):
    inner = _inner_pytest(tmp_path, "def test_one(mockcloud):\n    pass\n",
                          "--mockcloud-server", str(tmp_path / "nowhere"))
    out, _ = inner.communicate(timeout=60)
    assert inner.returncode == 1, out
    assert "is not an executable file" in out and "1 error" in out


def test_the_client_with_the_system_clock(server_path):
    with MockCloudServer(server_path, clock="system",
                         args=["--time-scale", "0.01", "--worker-failure-rate", "0"]) as server:
        with MockCloud(server.url) as cloud:
            assert cloud.clock_mode == "system"
            env = cloud.create_environment("dev")
            vm = cloud.create_vm("web-1", env)  # 30-60 s scaled to 0.3-0.6 real s
            started = time.monotonic()
            assert cloud.wait_for(vm, "running", timeout=10)["ip_address"]
            assert time.monotonic() - started < 5
            cloud.create_volume("data", env, 1)
            cloud.settle(timeout=10)
            assert cloud.list_volumes()[0]["status"] == "available"
            with pytest.raises(MockCloudError) as e:
                cloud.advance(60)
            assert e.value.status == 409
    assert server.process.returncode == 0
