"""A network printer on 127.0.0.1: records what it receives and answers DLE EOT.

A real TCP server in a thread. `state` switches it: "online", "paper_out", "cover_open",
"near_end" (status bytes say so), "offline" (accepts, then drops the connection at once),
"silent" (accepts, never answers a status query); `switch_off` stops listening (the
connection is refused) until `switch_on`.
"""

from __future__ import annotations

import socket
import threading
from typing import Literal

State = Literal["online", "paper_out", "cover_open", "near_end", "offline", "silent"]

# Answers to DLE EOT 1, 2, 3, 4 as an Epson TM printer gives them.
STATUS_BYTES: dict[str, bytes] = {
    "online": bytes([0x12, 0x12, 0x12, 0x12]),
    "near_end": bytes([0x12, 0x12, 0x12, 0x1E]),
    "paper_out": bytes([0x1A, 0x32, 0x12, 0x72]),
    "cover_open": bytes([0x1A, 0x16, 0x12, 0x12]),
}


def _command_length(buf: bytes | bytearray, pos: int) -> int | None:
    """Length of the command at `pos` if it carries a binary payload; None if incomplete."""
    if buf.startswith(b"\x1dv0", pos):
        if len(buf) < pos + 8:
            return None
        row_bytes = int.from_bytes(buf[pos + 4 : pos + 6], "little")
        rows = int.from_bytes(buf[pos + 6 : pos + 8], "little")
        return 8 + row_bytes * rows
    if buf.startswith(b"\x1d(k", pos):
        if len(buf) < pos + 5:
            return None
        return 5 + int.from_bytes(buf[pos + 3 : pos + 5], "little")
    return 1


class FakePrinter:
    def __init__(self) -> None:
        self.state: State = "online"
        self.connections: list[bytes] = []
        self.status_queries = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.port = 0
        self._listen()

    def _listen(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.05)  # so that the accept loop sees `close` promptly
        self._stop = threading.Event()
        self.port = self._server.getsockname()[1]
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def switch_off(self) -> None:
        """As a printer switched off: nothing listens on its port (connection refused)."""
        self._stop.set()
        self._accepting.join(5)
        self._server.close()

    def switch_on(self) -> None:
        """Listening again on the same port."""
        self._listen()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def received(self) -> bytes:
        """Everything received, all connections, with the status queries taken out."""
        with self._lock:
            return b"".join(self.connections)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.state == "offline":
                conn.close()
                continue
            conn.settimeout(10)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        pos = 0
        job = bytearray()
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                # Walk the stream command by command so that raster data that happens to
                # contain 10 04 is not taken for a status query, as a real printer does.
                while pos < len(buf):
                    if buf.startswith(b"\x10\x04", pos):
                        if len(buf) < pos + 3:
                            break
                        self._answer(conn, buf[pos + 2])
                        pos += 3
                        continue
                    length = _command_length(buf, pos)
                    if length is None or pos + length > len(buf):
                        break
                    job += buf[pos : pos + length]
                    pos += length
        with self._lock:
            self.connections.append(bytes(job))

    def _answer(self, conn: socket.socket, n: int) -> None:
        self.status_queries += 1
        if self.state == "silent" or not 1 <= n <= 4:
            return
        conn.sendall(STATUS_BYTES[self.state][n - 1 : n])

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every connection so far has been closed and recorded."""
        for thread in list(self._threads):
            thread.join(timeout)

    def close(self) -> None:
        self.switch_off()
        self.wait_idle()
