"""Printers on the web: the JSON API (list, print, clear) and the print agent's WebSocket.

The agent's socket `/ws/printers/[OFFICE/]NAME` (protocol in `printer/agent.py`) sends the
printer's jobs one at a time, already rendered, and moves to the next only when the agent
acknowledged the job, reported it uncertain, or the job was cleared. Jobs the agent did not
acknowledge stay pending in the stream and are sent again on its next connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from printer import InvalidPrintData, UnencodableText
from queue_server.errors import BadRequest, NotFound
from queue_server.office import Office, Printer
from queue_server.people import Principal
from queue_server.services.auth import require_device_or_role, require_role
from queue_server.services.printing import PrintJob, PrintService
from queue_server.web.http.addresses import public_base
from queue_server.web.http.requests import body, idempotency_key, principal, req_str
from queue_server.web.i18n import error_text
from queue_server.web.wiring import services

JOB_ID_RE = re.compile(r"^\d{1,20}-\d{1,20}$")
LOCK_TTL_MS = 10_000
BLOCK_MS = 1_000


async def list_printers(request: Request) -> Response:
    service = services(request).printing
    slug = request.path_params["office"]
    require_device_or_role(await principal(request), ("kiosk",), "staff", slug)
    office = service.queue.office(slug)
    return JSONResponse({"office": office.slug, "printers": await service.overview(office.slug)})


async def submit_job(request: Request) -> Response:
    service = services(request).printing
    slug, name = request.path_params["office"], request.path_params["name"]
    who = require_role(await principal(request), "staff", slug)
    data = await body(request)
    key = idempotency_key(request)
    if "reprint" in data:
        ticket = req_str(data, "reprint", 120)
        job = await service.reprint(slug, name, ticket, who.name, key, public_base(request))
    else:
        kind = req_str(data, "kind", 32)
        payload = data.get("data")
        if not isinstance(payload, dict):
            raise BadRequest(text_key="error.print.data")
        job = await service.submit(
            slug, name, kind, payload, requested_by=who.name, idempotency_key=key
        )
    status, state = await service.after_send(slug, name, job.id)
    return JSONResponse(
        {"printer": name, "job": job.to_json(), "status": status, "printer_state": state}, 202
    )


def _job_id(request: Request) -> str:
    job: str = request.path_params["job"]
    # Stream ids are two 64-bit numbers; a larger one made Redis refuse the command (a 503).
    if not JOB_ID_RE.match(job) or max(int(part) for part in job.split("-")) >= 2**64:
        raise NotFound(text_key="error.print.no_job", params={"job": job})
    return job


async def job_status(request: Request) -> Response:
    """Where one job is now, and the printer's state: what a page that sent it shows."""
    service = services(request).printing
    slug, name = request.path_params["office"], request.path_params["name"]
    require_device_or_role(await principal(request), ("kiosk",), "staff", slug)
    job = _job_id(request)
    status = await service.job_status(slug, name, job)
    state = await service.state(slug, name)
    return JSONResponse({"printer": name, "job": job, "status": status, "printer_state": state})


async def clear_job(request: Request) -> Response:
    """A manager clears any waiting or held job; a clerk cancels a job of their own that is
    still waiting (not one on the wire or printed: 409 says so)."""
    service = services(request).printing
    slug, name = request.path_params["office"], request.path_params["name"]
    who = require_role(await principal(request), "staff", slug)
    job = _job_id(request)
    only_own = who.role_in(slug) == "staff"
    where = await service.clear(
        slug, name, job, who.name, idempotency_key(request), only_own=only_own
    )
    return JSONResponse({"printer": name, "cleared": job, "from": where})


async def job(request: Request) -> Response:
    return await (clear_job if request.method == "DELETE" else job_status)(request)


async def printer_socket(ws: WebSocket) -> None:
    await ws.accept()
    who = await principal(ws)
    if who is None:
        await ws.close(4401, "a printer device token is needed")
        return
    if who.kind != "device" or who.role != "printer":
        await ws.close(4403, "only a printer device may drive a printer")
        return
    try:
        office, printer = _resolve(services(ws).printing, who, ws.path_params)
    except (NotFound, BadRequest) as exc:
        # The agent logs the reason: English, for whoever reads its log.
        await ws.close(4404 if isinstance(exc, NotFound) else 4400, error_text(exc, "en")[:120])
        return
    if printer.driver != "agent":
        await ws.close(4404, "this printer is driven by the server, not by an agent")
        return
    await AgentSession(ws, services(ws).printing, office, printer, who).run()


def _resolve(
    service: PrintService, who: Principal, params: dict[str, Any]
) -> tuple[Office, Printer]:
    name = params["printer"]
    slug = params.get("office") or who.office
    if slug is None:
        offices = [o for o in service.queue.offices.all() if o.printer(name) is not None]
        if len(offices) > 1:
            raise BadRequest(text_key="error.printer.ambiguous")
        if not offices:
            raise NotFound(text_key="error.printer.unknown", params={"name": name})
        slug = offices[0].slug
    if who.office not in (None, slug):
        raise NotFound(text_key="error.printer.other_office", params={"name": name})
    return service.printer(slug, name)


class AgentGone(Exception):
    """The agent's socket closed, another connection of the agent took the printer, or a
    manager changed the printer (`code` is then the close code the agent gets)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class AgentSession:
    def __init__(
        self, ws: WebSocket, service: PrintService, office: Office, printer: Printer, who: Principal
    ) -> None:
        self.ws, self.service, self.jobs = ws, service, service.jobs
        self.office, self.printer = office, printer
        self.owner = f"agent:{who.name}:{secrets.token_hex(6)}"
        self.inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.holding = True
        self.ended = asyncio.Event()

    async def run(self) -> None:
        slug, name = self.office.slug, self.printer.name
        await self.jobs.take_over(slug, name, self.owner, LOCK_TTL_MS)
        # The agent's journal, not the server, knows whether a job on the wire printed.
        await self.jobs.clear_sending(slug, name)
        await self.jobs.ensure_group(slug, name)
        receiver = asyncio.create_task(self._receive())
        renewer = asyncio.create_task(self._renew())
        gone = AgentGone()
        try:
            await self._send({"type": "hello", "office": slug, "printer": name,
                              "url": self.printer.url})  # fmt: skip
            await self._serve()
        except AgentGone as exc:
            gone = exc
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            # The renewer is told, not cancelled: cancelling could cut a Redis command in half.
            self.ended.set()
            receiver.cancel()
            await asyncio.gather(receiver, renewer, return_exceptions=True)
            if await self.jobs.release(slug, name, self.owner) and gone.code != 4404:
                await self._report("status", None, "disconnected", ["no_agent"], "")
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.ws.close(gone.code, gone.reason)

    def _current(self) -> Printer:
        """The printer as a manager last saved it. Removed or handed to the server: the
        agent is refused (4404, it stops); a new address: it reconnects (1012) and reads
        it in the hello. New paper or mode need nothing: each job is rendered with them."""
        printer = self.service.queue.office(self.office.slug).printer(self.printer.name)
        if printer is None or printer.driver != "agent":
            raise AgentGone(4404, "the printer was removed or is driven by the server now")
        if printer.url != self.printer.url:
            raise AgentGone(1012, "the printer's address changed; connect again")
        return printer

    async def _send(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(message, ensure_ascii=False))

    async def _receive(self) -> None:
        try:
            while True:
                text = await self.ws.receive_text()
                with contextlib.suppress(ValueError):
                    message = json.loads(text)
                    if isinstance(message, dict):
                        await self.inbox.put(message)
        finally:
            await self.inbox.put(None)

    async def _renew(self) -> None:
        slug, name = self.office.slug, self.printer.name
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ended.wait(), LOCK_TTL_MS / 3000)
            if self.ended.is_set():
                return
            if not await self.jobs.renew(slug, name, self.owner, LOCK_TTL_MS):
                self.holding = False
                await self.inbox.put(None)
                return

    async def _next_message(self) -> dict[str, Any]:
        message = await self.inbox.get()
        if message is None or not self.holding:
            raise AgentGone
        return message

    async def _serve(self) -> None:
        slug, name = self.office.slug, self.printer.name
        while self.holding:
            while not self.inbox.empty():
                message = self.inbox.get_nowait()
                if message is None or not self.holding:
                    raise AgentGone
                await self._other(message)
            job = await self.jobs.next_job(slug, name, BLOCK_MS)
            self.printer = self._current()
            if job is None:
                continue
            try:
                data = await self.service.render(self.printer, job)
            except (InvalidPrintData, UnencodableText) as exc:
                now = self.service.clock.now_ms()
                await self.jobs.hold(slug, name, job.id, "invalid", str(exc), now)
                continue
            await self._send({
                "type": "job", "job": job.id, "uid": job.uid, "kind": job.kind,
                "ticket": job.ticket, "bytes": base64.b64encode(data).decode("ascii"),
            })  # fmt: skip
            await self._follow(job)

    async def _follow(self, job: PrintJob) -> None:
        """Answers the agent about `job` until it is printed, held or cleared."""
        slug, name = self.office.slug, self.printer.name
        while True:
            message = await self._next_message()
            kind = message.get("type")
            if message.get("job") != job.id:
                await self._other(message)
            elif kind == "begin":
                ok = await self.jobs.begin(slug, name, job.id, self.service.clock.now_ms())
                await self._send({"type": "go" if ok else "cancel", "job": job.id})
                if not ok:
                    return
            elif kind == "failed":
                await self._report_from(message, job.id, "attempt")
            elif kind == "ack":
                await self._report("done", job.id, "ok", _problems(message), "")
                return
            elif kind == "uncertain":
                detail = "the print agent stopped while printing it; it may have printed"
                now = self.service.clock.now_ms()
                await self.jobs.hold(slug, name, job.id, "uncertain", detail, now)
                return

    async def _other(self, message: dict[str, Any]) -> None:
        if message.get("type") == "status":
            await self._report_from(message, None, "status")

    async def _report_from(self, message: dict[str, Any], job: str | None, what: str) -> None:
        state = str(message.get("state") or "error")
        if state not in ("ok", "paper_out", "cover_open", "error", "offline"):
            state = "error"
        await self._report(what, job, state, _problems(message), str(message.get("error", "")))

    async def _report(
        self, what: str, job: str | None, state: str, problems: list[str], error: str
    ) -> None:
        await self.jobs.report(
            self.office.slug, self.printer.name, job_id=job, state=state, problems=problems,
            error=error[:300], now_ms=self.service.clock.now_ms(), what=what,  # type: ignore[arg-type]
            driver="agent",
        )  # fmt: skip


def _problems(message: dict[str, Any]) -> list[str]:
    problems = message.get("problems")
    if not isinstance(problems, list):
        return []
    return [str(p)[:40] for p in problems[:10]]


def routes() -> list[BaseRoute]:
    o = "/api/v1/offices/{office}/printers"
    return [
        Route(o, list_printers),
        Route(f"{o}/{{name}}/jobs", submit_job, methods=["POST"]),
        # One route for both methods: of two routes on one path, the router's 405 would
        # name only the first one's methods in `Allow`.
        Route(f"{o}/{{name}}/jobs/{{job}}", job, methods=["GET", "DELETE"]),
        WebSocketRoute("/ws/printers/{printer}", printer_socket),
        WebSocketRoute("/ws/printers/{office}/{printer}", printer_socket),
    ]
