"""A Python client and a pytest plugin for mockcloud-server.

``MockCloud`` speaks the server's default dialect; ``BaseMockCloud`` holds what every dialect
shares (transport, ``/_mock`` controls, ``settle``, ``wait_for``).
"""

from .client import IN_FLIGHT, BaseMockCloud, MockCloud, parse_time
from .errors import MockCloudError, MockCloudTimeout
from .server import MockCloudServer, find_server

__all__ = [
    "BaseMockCloud",
    "IN_FLIGHT",
    "MockCloud",
    "MockCloudError",
    "MockCloudServer",
    "MockCloudTimeout",
    "find_server",
    "parse_time",
]
__version__ = "0.1.0"
