"""An ASGI app served by uvicorn from a thread on a free port of 127.0.0.1 (tests only)."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

from tests.waiting import wait_until


class ThreadedServer:
    """An app over real HTTP: its socket (and so :attr:`url`) is bound at once, before the app
    is made (an app may need its URL); :meth:`start` serves it, :meth:`stop` ends it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self, app: Any) -> None:
        """Serve ``app``; raise if it does not start (its lifespan failed) within 60 s."""
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            loop="asyncio",
            ws="none",
            http="h11",
            access_log=False,
        )
        server = self.server = uvicorn.Server(config)
        thread = self.thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        thread.start()
        try:
            wait_until(
                lambda: server.started or not thread.is_alive(), f"{self.name} starts", timeout=60
            )
            if not server.started:
                raise RuntimeError(f"{self.name} did not start")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving (if it was) and close the socket."""
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None and self.thread.is_alive():
            self.thread.join(timeout=30)
        self.sock.close()
