"""What the replay servers share: a ThreadingHTTPServer run on a daemon thread, started and
stopped explicitly or as a context manager; a request handler without Nagle stalls; and fault
rules that bind a fault to a path pattern."""

from __future__ import annotations

import fnmatch
import socket
import threading
from collections import Counter
from collections.abc import Set
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar


class FaultLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def times(self) -> int | None: ...
    @property
    def after(self) -> int: ...
    @property
    def methods(self) -> Set[str]: ...


F = TypeVar("F", bound=FaultLike)


class FaultRule(Generic[F]):
    """A fault bound to a path pattern (``fnmatch`` glob on the URL path, no query).

    Counts per concrete path, so a fault with ``times=2`` on ``/api/models/*`` fails the first
    two requests to each model. ``hits`` counts the faulty responses sent.
    """

    def __init__(self, pattern: str, fault: F) -> None:
        self.pattern = pattern
        self.fault = fault
        self.seen: Counter[str] = Counter()
        self.hits = 0
        self._lock = threading.Lock()

    def fire(self, method: str, path: str) -> F | None:
        """The fault to send for this request, if it applies (and count it)."""
        if method not in self.fault.methods or not fnmatch.fnmatchcase(path, self.pattern):
            return None
        with self._lock:
            self.seen[path] += 1
            n = self.seen[path] - self.fault.after
            if n <= 0 or (self.fault.times is not None and n > self.fault.times):
                return None
            self.hits += 1
            return self.fault

    def __repr__(self) -> str:
        return f"FaultRule({self.pattern!r}, {self.fault.kind}, hits={self.hits})"


class ReplayHandler(BaseHTTPRequestHandler):
    """Every method goes to ``_serve(method)``."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK stall every response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self, method: str) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")


class ThreadedServer:
    """Lifecycle of ``self._httpd`` (set by the subclass, with ``self.port``)."""

    thread_name = "replay"
    _httpd: ThreadingHTTPServer
    port: int
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{self.thread_name}:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
