"""pytest plugin: a mockcloud-server for the session, and a clean cloud for each test.

Loaded automatically once the package is installed (the ``pytest11`` entry point), or with
``pytest -p mockcloud.pytest_plugin``. Fixtures:

- ``mockcloud_server`` (session): the server process, started with ``--port 0 --clock virtual
  --seed SEED --log-level warning`` and stopped at the end of the session (a ``MockCloudServer``:
  ``url``, ``pid``, ``output()``). With ``--mockcloud-url`` no process is started and this is
  ``None``.
- ``mockcloud_url`` (session): the server's base URL.
- ``mockcloud`` (function): a ``MockCloud`` client, after ``POST /_mock/reset`` with the seed,
  so every test starts from an empty cloud, the start-up settings, no faults and the clock at
  its start.
"""

from __future__ import annotations

import os
from typing import Iterator, Optional

import pytest

from .client import MockCloud
from .server import MockCloudServer, find_server

DEFAULT_SEED = 42


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockcloud", "mockcloud-server for tests")
    group.addoption("--mockcloud-server", metavar="PATH", default=None,
                    help="the mockcloud-server executable (default: $MOCKCLOUD_SERVER, then "
                         "mockcloud-server on PATH)")
    group.addoption("--mockcloud-seed", metavar="N", type=int, default=None,
                    help=f"the seed of the server and of every reset (default: "
                         f"$MOCKCLOUD_SEED, then {DEFAULT_SEED})")
    group.addoption("--mockcloud-url", metavar="URL", default=None,
                    help="use the server already running there instead of starting one (it "
                         "should run --clock virtual for settle() to be instant); default: "
                         "$MOCKCLOUD_URL")


def _seed(config: pytest.Config) -> int:
    seed = config.getoption("mockcloud_seed")
    if seed is None:
        seed = int(os.environ.get("MOCKCLOUD_SEED") or DEFAULT_SEED)
    return seed


def pytest_report_header(config: pytest.Config) -> Optional[str]:
    return f"mockcloud: seed {_seed(config)}"


@pytest.fixture(scope="session")
def mockcloud_server(request: pytest.FixtureRequest) -> Iterator[Optional[MockCloudServer]]:
    config = request.config
    if config.getoption("mockcloud_url") or os.environ.get("MOCKCLOUD_URL"):
        yield None
        return
    try:
        executable = find_server(config.getoption("mockcloud_server"))
    except FileNotFoundError as e:
        pytest.fail(str(e), pytrace=False)
    server = MockCloudServer(executable, seed=_seed(config), clock="virtual",
                             log_level="warning")
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mockcloud_url(request: pytest.FixtureRequest,
                  mockcloud_server: Optional[MockCloudServer]) -> str:
    if mockcloud_server is not None:
        assert mockcloud_server.url is not None
        return mockcloud_server.url
    return request.config.getoption("mockcloud_url") or os.environ["MOCKCLOUD_URL"]


@pytest.fixture
def mockcloud(request: pytest.FixtureRequest, mockcloud_url: str) -> Iterator[MockCloud]:
    client = MockCloud(mockcloud_url)
    try:
        client.reset(seed=_seed(request.config))
        yield client
    finally:
        client.close()
