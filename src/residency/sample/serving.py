"""What the local API endpoints share: serving an HTTP server from a daemon thread on the
loopback interface, and stopping it cleanly (also as a context manager)."""

from __future__ import annotations

import abc
import socketserver
import threading
from types import TracebackType
from typing import Self

__all__ = ["LoopbackServing"]


class LoopbackServing(abc.ABC):
    """Base of the local endpoints: a subclass's ``start()`` builds its server and calls
    ``_serve(httpd, name)``; ``stop()`` and ``with`` end it."""

    _httpd: socketserver.BaseServer | None = None
    _thread: threading.Thread | None = None

    @abc.abstractmethod
    def start(self) -> Self:
        """Build the HTTP server and serve it (via :meth:`_serve`); return ``self``."""

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        address = self._httpd.server_address
        assert isinstance(address, tuple)
        return int(address[1])

    def _serve(self, httpd: socketserver.BaseServer, name: str) -> None:
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        close_connections = getattr(httpd, "close_connections", None)
        if close_connections is not None:
            close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
