"""The print agent: drives a USB or serial printer on a kiosk PC for the server.

    python -m printer.agent --server http://10.0.0.2:8000 --token DEVICE_TOKEN --printer kiosk-1

It holds a WebSocket to the server (`/ws/printers/[OFFICE/]NAME`, the token of a device of
kind "printer"), receives jobs one at a time as the bytes to send (the server renders them,
so the agent needs no fonts and no configuration), prints each and acknowledges it. It
reconnects by itself; the server sends the jobs not yet acknowledged again, in order.

Never twice: before a job's bytes go out, its id is written (and synced) to a small journal
file, and again when the printer took it. A job the journal says was printed is only
acknowledged again (the acknowledgement was lost with the connection). A job the journal says
was started but not finished (the agent died while printing) may be on paper: the agent
reports it "uncertain" and the server holds it for a person to reprint or clear.

Protocol (JSON text frames):
    server → agent  {"type": "hello", "office", "printer", "url"}
                    {"type": "job", "job": id, "uid", "kind", "ticket", "bytes": base64}
                    {"type": "go" | "cancel", "job": id}
    agent → server  {"type": "status", "state", "problems", "error"}
                    {"type": "begin" | "ack" | "uncertain", "job": id}
                    {"type": "failed", "job": id, "state", "problems", "error"}
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from printer.connections import connection_from_url
from printer.errors import RETRYABLE, PrinterError, StatusUnsupported, describe_outcome
from printer.worker import PrinterWorker

log = logging.getLogger("printer.agent")
# Close codes after which reconnecting cannot help: wrong token, no such printer.
FATAL_CLOSE = {
    4400: "give the printer as OFFICE/NAME",
    4401: "the token was refused",
    4403: "this device may not drive that printer",
    4404: "the server knows no such printer",
}


class Journal:
    """Which jobs this agent started and finished, kept on disk across restarts."""

    KEEP = 500

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: list[str] = []
        self.begun: str | None = None
        if path.exists():
            data = json.loads(path.read_text("utf-8") or "{}")
            self.done = [str(u) for u in data.get("done", [])]
            self.begun = data.get("begun") or None

    def _save(self) -> None:
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"done": self.done[-self.KEEP :], "begun": self.begun}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def begin(self, uid: str) -> None:
        self.begun = uid
        self._save()

    def finish(self, uid: str, printed: bool) -> None:
        self.begun = None
        if printed:
            self.done.append(uid)
        self._save()


class Agent:
    def __init__(
        self,
        server: str,
        token: str,
        printer: str,
        device: str | None,
        journal: Journal,
        retry_max_s: float = 5.0,
        idle_poll_s: float = 30.0,
    ) -> None:
        self.url = _socket_url(server, printer)
        self.token = token
        self.device = device
        self.journal = journal
        self.retry_max_s = retry_max_s
        self.idle_poll_s = idle_poll_s
        self.worker: PrinterWorker | None = None
        self.printed = 0

    async def run(self) -> int:
        """Connect, serve, reconnect with backoff; returns 2 when the server refuses us."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        delay = 0.2
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            try:
                async with connect(self.url, additional_headers=headers, open_timeout=10) as ws:
                    delay = 0.2
                    log.info("connected to %s", self.url)
                    await self._session(ws)
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else None
                if code in FATAL_CLOSE:
                    log.error("the server refused the agent: %s", FATAL_CLOSE[code])
                    return 2
                log.warning("connection lost (%s); reconnecting", code)
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                log.warning("cannot reach %s (%s); retrying in %.1f s", self.url, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max_s)

    async def _session(self, ws: Any) -> None:
        hello = json.loads(await ws.recv())
        device = self.device or hello.get("url")
        if self.worker is None or self.worker.connection.target != device:
            self.worker = PrinterWorker(connection_from_url(device))
            log.info("printing to %s", self.worker.connection.target)
        await self._report_status(ws)
        while True:
            try:
                text = await asyncio.wait_for(ws.recv(), self.idle_poll_s)
            except TimeoutError:
                # Idle: tell the server of an empty roll before the next citizen needs it.
                await self._report_status(ws)
                continue
            message = json.loads(text)
            if message.get("type") == "job":
                await self._job(ws, message)

    async def _report_status(self, ws: Any) -> None:
        assert self.worker is not None
        try:
            state, problems, error = describe_outcome(await self.worker.status_async())
        except StatusUnsupported:
            return  # a write-only link: its state shows when a job fails
        except PrinterError as exc:
            state, problems, error = describe_outcome(exc)
        await _send(ws, {"type": "status", "state": state, "problems": problems, "error": error})

    async def _job(self, ws: Any, message: dict[str, Any]) -> None:
        job, uid = str(message["job"]), str(message["uid"])
        if uid in self.journal.done:
            await _send(ws, {"type": "ack", "job": job})  # the first ack was lost
            return
        if self.journal.begun == uid:
            log.warning("job %s was being printed when the agent stopped: uncertain", job)
            await _send(ws, {"type": "uncertain", "job": job})
            self.journal.finish(uid, printed=False)
            return
        data = base64.b64decode(message["bytes"])
        delay = 0.2
        while True:
            await _send(ws, {"type": "begin", "job": job})
            answer = await _answer(ws, job)
            if answer == "cancel":
                return
            assert self.worker is not None
            self.journal.begin(uid)
            try:
                await self.worker.print_async(data)
            except RETRYABLE as exc:
                # Nothing was taken (status said not ready, or the link failed): try again.
                self.journal.finish(uid, printed=False)
                state, problems, error = describe_outcome(exc)
                log.warning("job %s not printed: %s", job, error)
                await _send(ws, {"type": "failed", "job": job, "state": state,
                                 "problems": problems, "error": error})  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_s)
                continue
            self.journal.finish(uid, printed=True)
            self.printed += 1
            await _send(ws, {"type": "ack", "job": job})
            log.info("job %s printed", job)
            return


async def _send(ws: Any, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def _answer(ws: Any, job: str) -> str:
    """Waits for the server's "go" or "cancel" for `job`."""
    while True:
        message = json.loads(await ws.recv())
        if message.get("job") == job and message.get("type") in ("go", "cancel"):
            return str(message["type"])


def _socket_url(server: str, printer: str) -> str:
    parts = urlsplit(server.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, f"{parts.path}/ws/printers/{printer}", "", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m printer.agent", description="Drive a kiosk's printer for sothutu."
    )
    parser.add_argument("--server", required=True, help="the server's address, http://HOST:PORT")
    parser.add_argument("--token", default=os.environ.get("SOTHUTU_PRINTER_TOKEN"),
                        help="a printer device's token (or SOTHUTU_PRINTER_TOKEN)")  # fmt: skip
    parser.add_argument("--printer", required=True, help="NAME, or OFFICE/NAME")
    parser.add_argument("--device", help="the printer's address; default: from the server")
    parser.add_argument("--journal", type=Path, help="default: ./print-agent-NAME.json")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token is required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    name = args.printer.replace("/", "-")
    journal = Journal(args.journal or Path(f"print-agent-{name}.json"))
    agent = Agent(args.server, args.token, args.printer, args.device, journal)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(agent.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
