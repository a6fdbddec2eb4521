"""Exceptions raised by the mockcloud client."""

from __future__ import annotations

from typing import Any, Optional


class MockCloudError(Exception):
    """An error response of the server (4xx or 5xx), or a request that could not be sent.

    ``status`` is the HTTP status (``None`` when no response came back), ``detail`` the body's
    ``detail``: a message string, or for a 422 the list of problems
    (``[{"type", "loc", "msg"}, ...]``). ``method``, ``url`` and ``response`` say which request
    it was.
    """

    def __init__(self, status: Optional[int], detail: Any, *, method: str = "", url: str = "",
                 response: Any = None) -> None:
        self.status = status
        self.detail = detail
        self.method = method
        self.url = url
        self.response = response
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.method} {self.url}".strip()
        what = f"HTTP {self.status}" if self.status is not None else "no response"
        detail = self.detail
        if isinstance(detail, list):  # a 422: one entry per problem
            detail = "; ".join(_format_problem(p) for p in detail)
        return f"{where}: {what}: {detail}" if where else f"{what}: {detail}"

    @property
    def messages(self) -> list:
        """The messages of ``detail``: one for a plain error, one per problem for a 422."""
        if isinstance(self.detail, list):
            return [p.get("msg", str(p)) if isinstance(p, dict) else str(p) for p in self.detail]
        return [str(self.detail)]


def _format_problem(problem: Any) -> str:
    if not isinstance(problem, dict):
        return str(problem)
    loc = ".".join(str(part) for part in problem.get("loc", []))
    return f"{loc}: {problem.get('msg', '')}" if loc else str(problem.get("msg", ""))


class MockCloudTimeout(AssertionError):
    """``wait_for`` or ``settle`` gave up: the condition did not hold within the limit.

    An ``AssertionError``, so that pytest reports it as a test failure with its message.
    """
