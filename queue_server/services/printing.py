"""Printing use cases: enqueue documents and tickets, show printers, clear jobs; and the task
that drives a network printer from the server.

The crash rule: a job is marked "on the wire" (`PrintJobs.begin`) just before its bytes go
out and acknowledged only after the printer took them. A driver that finds the mark left by a
predecessor (the process died between the two) does not print that job again: it may be on
paper already, and a ticket printed twice hands out one number to two citizens. The job is
held as "uncertain" for a person, who reprints it (`{"reprint": ticket}`) or clears it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from datetime import datetime
from typing import Any

from printer import (
    DOCUMENT_KINDS,
    RETRYABLE,
    InvalidPrintData,
    PrinterError,
    PrinterWorker,
    StatusUnsupported,
    UnencodableText,
    connection_from_url,
    describe_outcome,
    document_layout,
    offline_reason,
    render_document,
)
from queue_server.config import Config
from queue_server.errors import BadRequest, Localized, NotFound, Text
from queue_server.office import Office, Printer
from queue_server.rules.calling import appointment_call_ms
from queue_server.services.clock import Clock
from queue_server.services.queue import Placed, QueueService
from queue_server.store.errors import StoreError
from queue_server.store.printjobs import PrintJob as PrintJob  # handed on to web
from queue_server.store.printjobs import PrintJobs
from queue_server.store.queue import Event

log = logging.getLogger("sothutu.printing")
# The printer package explains a bad payload in English (the print agent's log); these
# name the catalogue text of each of its reasons, for an answer in the reader's language.
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^is required$"), "error.print.reason.required"),
    (re.compile(r"^must be a string$"), "error.print.reason.string"),
    (re.compile(r"^must be a number$"), "error.print.reason.number"),
    (re.compile(r"^must be a whole number, 0 or more$"), "error.print.reason.whole"),
    (re.compile(r"^must be an ISO 8601 date and time$"), "error.print.reason.datetime"),
    (re.compile(r"^must be a list of strings$"), "error.print.reason.strings"),
    (re.compile(r"^must be a list of layout blocks$"), "error.print.reason.blocks"),
    (re.compile(r"^must be true or false$"), "error.print.reason.boolean"),
    (re.compile(r"^must be one of (?P<choices>.+)$"), "error.print.reason.choice"),
)  # fmt: skip


def print_reason(reason: str) -> Text | Localized:
    """A printer-package reason as a catalogue text; a reason not in the table is said in
    English as it is and not repeated in Vietnamese (the field's name says where to look)."""
    for pattern, key in _REASONS:
        if found := pattern.match(reason):
            return Text(key, found.groupdict())
    return Localized("không hợp lệ", reason)


# A recorded state (docs/printing.md) as a person sending a job needs it: will it print now?
_ONLINE = {"ok": "online", "unknown": "unknown"}


def availability(printer: Printer, recorded: dict[str, str], driven: bool) -> dict[str, Any]:
    """The printer's state in the shape the API documents (docs/api.md, "Printer state"):
    online, offline or unknown; since when; the reason as a code the pages translate
    (`printer.reason.<code>`), and the recorded error for IT staff.

    An agent printer whose agent is not connected is offline ("no_agent") whatever its
    agent last reported; a printer not heard from since its record began is unknown.
    """
    status = recorded.get("state") or "unknown"
    if printer.driver == "agent" and not driven:
        status = "disconnected"
    problems = _problems(recorded.get("problems"))
    state = _ONLINE.get(status, "offline")
    reason = None
    if status == "disconnected":
        reason = "no_agent"
    elif state == "offline":
        reason = offline_reason(problems, recorded.get("last_error") or "")
    since = _int(recorded.get("since")) or _int(recorded.get("updated_at"))
    return {
        "name": printer.name,
        "state": state,
        "status": status,
        "since": since,
        "reason": reason,
        "problems": problems,
        "detail": (recorded.get("last_error") or None) if state == "offline" else None,
    }


class PrintService:
    def __init__(
        self, config: Config, jobs: PrintJobs, queue: QueueService, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.jobs = jobs
        self.queue = queue
        self.clock = clock or Clock()

    def printer(self, slug: str, name: str) -> tuple[Office, Printer]:
        office = self.queue.office(slug)
        printer = office.printer(name)
        if printer is None:
            known = ", ".join(p.name for p in office.printers) or "-"
            raise NotFound(text_key="error.printer.not_here", params={"name": name, "known": known})
        return office, printer

    async def submit(
        self,
        slug: str,
        name: str,
        kind: str,
        data: dict[str, Any],
        *,
        requested_by: str,
        ticket: str | None = None,
        idempotency_key: str | None = None,
    ) -> PrintJob:
        """Checks that the document can be laid out, then puts it in the printer's line."""
        office, printer = self.printer(slug, name)
        if kind not in DOCUMENT_KINDS:
            raise BadRequest(
                text_key="error.print.kind", params={"kinds": ", ".join(DOCUMENT_KINDS)}
            )
        try:
            document_layout(kind, data)
        except InvalidPrintData as exc:
            raise BadRequest(
                f"cannot print this {kind}: {exc}",
                text_key="error.print.invalid",
                params={"field": exc.field, "reason": print_reason(exc.reason)},
            ) from exc
        now = self.clock.now_ms()
        job_id = await self.jobs.enqueue(
            office.slug, printer.name, kind, data, ticket=ticket, requested_by=requested_by,
            now_ms=now, idempotency_key=idempotency_key,
        )  # fmt: skip
        return PrintJob(job_id, "", kind, data, ticket, requested_by, now)

    def ticket_data(
        self, office: Office, placed: Placed, subtitle: str = "", *, base: str | None = None
    ) -> dict[str, Any]:
        """The `ticket` document of an issued ticket: what the citizen holds in hand. Its QR
        leads to `base` (the address the kiosk's request came in on), by default to
        `server.base_url()`."""
        ticket = placed.ticket
        field = office.field(ticket.field)
        priority = office.priority(ticket.priority) if ticket.priority else None
        data: dict[str, Any] = {
            "office": office.name,
            "number": ticket.number,
            "field": field.name_vi if field else ticket.field,
            "issued_at": _local(ticket.issued_at, office).isoformat(timespec="seconds"),
            "people_ahead": placed.position or 0,
            "url": f"{base or self.config.server.base_url()}/t/{ticket.id}",
        }
        if placed.estimated_wait_s is not None:
            data["wait_minutes"] = round(placed.estimated_wait_s / 60)
        if priority is not None:
            data["priority"] = priority.name_vi
        if ticket.klass == "appointment":
            data["appointment"] = True
            call_ms = appointment_call_ms(ticket.due_at, ticket.issued_at)
            if call_ms is not None:
                data["call_at"] = _local(call_ms, office).isoformat(timespec="seconds")
        if subtitle:
            data["subtitle"] = subtitle
        if office.ticket_footer:
            data["footer"] = office.ticket_footer
        return data

    async def print_ticket(
        self,
        slug: str,
        name: str,
        placed: Placed,
        *,
        requested_by: str,
        idempotency_key: str | None = None,
        reprint: bool = False,
        base: str | None = None,
    ) -> PrintJob:
        office, printer = self.printer(slug, name)
        subtitle = ""
        if reprint:
            at = _local(self.clock.now_ms(), office)
            subtitle = f"Bản in lại lúc {at:%H:%M %d/%m/%Y}"
        data = self.ticket_data(office, placed, subtitle, base=base)
        return await self.submit(
            office.slug, printer.name, "ticket", data, requested_by=requested_by,
            ticket=placed.ticket.id, idempotency_key=idempotency_key,
        )  # fmt: skip

    async def reprint(
        self,
        slug: str,
        name: str,
        ticket_id: str,
        requested_by: str,
        idem: str | None,
        base: str | None = None,
    ) -> PrintJob:
        """A person asks for a ticket again (lost, or held as uncertain)."""
        self.printer(slug, name)
        placed = await self.queue.get(ticket_id)
        if placed.ticket.office != slug:
            raise NotFound(f"no ticket {ticket_id!r}", text_key="error.ticket.not_found")
        return await self.print_ticket(
            slug, name, placed, requested_by=requested_by, idempotency_key=idem, reprint=True,
            base=base,
        )  # fmt: skip

    async def clear(
        self,
        slug: str,
        name: str,
        job_id: str,
        by: str,
        idempotency_key: str | None,
        *,
        only_own: bool = False,
    ) -> str:
        office, printer = self.printer(slug, name)
        return await self.jobs.clear(
            office.slug, printer.name, job_id, by, self.clock.now_ms(), idempotency_key,
            only_own=only_own,
        )  # fmt: skip

    async def state(self, slug: str, name: str) -> dict[str, Any]:
        """`availability` of one printer, with the number of jobs in its line."""
        office, printer = self.printer(slug, name)
        recorded = await self.jobs.state(office.slug, printer.name)
        driven = await self.jobs.driven(office.slug, printer.name)
        waiting = await self.jobs.count(office.slug, printer.name)
        return {**availability(printer, recorded, driven), "waiting": waiting}

    async def after_send(
        self, slug: str, name: str, job_id: str, wait_s: float = 2.0
    ) -> tuple[str, dict[str, Any]]:
        """Where a job just sent is, and the printer's state, once they say something: a
        printer recorded as online (or not heard from) is given up to `wait_s` to print the
        job or to fail its attempt, so that a clerk is not told "printing" by a printer that
        went off since it was last polled. An offline printer's job is reported at once."""
        deadline = time.monotonic() + wait_s
        while True:
            status = await self.job_status(slug, name, job_id)
            state = await self.state(slug, name)
            if (
                status not in ("waiting", "printing")
                or state["state"] == "offline"
                or time.monotonic() >= deadline
            ):
                return status, state
            await asyncio.sleep(0.05)

    async def job_status(self, slug: str, name: str, job_id: str) -> str:
        """Where a job is: waiting, printing (its bytes on the wire), held, printed, cleared;
        "unknown" when it finished more than a day ago or never was."""
        office, printer = self.printer(slug, name)
        recorded = await self.jobs.state(office.slug, printer.name)
        if recorded.get("sending") == job_id:
            return "printing"
        where = await self.jobs.where(office.slug, printer.name, job_id)
        if where is None:
            where = await self.jobs.outcome(office.slug, printer.name, job_id)
        return where or "unknown"

    async def overview(self, slug: str) -> list[dict[str, Any]]:
        """Every printer of the office with its state, waiting and held jobs."""
        office = self.queue.office(slug)
        out = []
        for printer in office.printers:
            waiting = await self.jobs.waiting(office.slug, printer.name)
            state = await self.jobs.state(office.slug, printer.name)
            driven = await self.jobs.driven(office.slug, printer.name)
            recorded = state.get("state") or "unknown"
            shown = recorded if driven or printer.driver == "server" else "disconnected"
            out.append({
                "availability": availability(printer, state, bool(driven)),
                "name": printer.name,
                "driver": printer.driver,
                "paper": printer.options.paper_width,
                "mode": printer.options.mode,
                "state": shown,
                "problems": _problems(state.get("problems")),
                "driven": bool(driven),
                "last_ok": _int(state.get("last_ok")),
                "last_error": state.get("last_error") or None,
                "last_error_at": _int(state.get("last_error_at")),
                "updated_at": _int(state.get("updated_at")),
                "sending": state.get("sending") or None,
                "pending": [j.to_json() for j in waiting],
                "held": [j.to_json() for j in await self.jobs.held(office.slug, printer.name)],
            })  # fmt: skip
        return out

    async def render(self, printer: Printer, job: PrintJob) -> bytes:
        """The job's bytes for this printer, rendered in a thread: a raster job takes long
        enough to hold up every other request (docs/BENCHMARKS.md, "Printing")."""
        return await asyncio.to_thread(render_document, job.kind, job.data, printer.options)


class ServerDriver:
    """Drives one network printer from this process, while it holds the printer's lock.

    Several server processes each run one per printer; the first takes the lock (SET NX PX)
    and renews it, the others stand by and take over within `lock_ttl_ms` if it dies.
    """

    retry_first_s = 0.25
    retry_max_s = 5.0
    lock_ttl_ms = 10_000
    idle_poll_s = 30.0
    block_ms = 2_000

    def __init__(self, service: PrintService, office: Office, printer: Printer) -> None:
        self.service = service
        self.jobs = service.jobs
        self.office = office
        self.printer = printer
        self.owner = f"server:{secrets.token_hex(6)}"
        self.worker = PrinterWorker(connection_from_url(printer.url))
        self.holding = False
        self.stopped = asyncio.Event()

    def stop(self) -> None:
        """Ask the driver to finish: it ends within `block_ms` plus the attempt in hand.
        (Cancelling it instead could cut a Redis command in half.)"""
        self.holding = False
        self.stopped.set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopped.wait(), seconds)

    async def run(self) -> None:
        while not self.stopped.is_set():
            try:
                if await self.jobs.acquire(
                    self.office.slug, self.printer.name, self.owner, self.lock_ttl_ms
                ):
                    await self._hold()
                else:
                    await self._pause(self.lock_ttl_ms / 3000)
            except StoreError as exc:
                log.warning("printer %s: redis: %s; retrying", self.printer.name, exc)
                await self._pause(1.0)
            except Exception:
                # A driver that died would leave the printer's jobs waiting until a restart.
                log.exception("printer %s: driver failed; starting again", self.printer.name)
                await self._pause(1.0)

    async def _hold(self) -> None:
        self.holding = not self.stopped.is_set()
        renewer = asyncio.create_task(self._renew())
        try:
            await self._drive()
        finally:
            self.holding = False
            await renewer
            with contextlib.suppress(StoreError):  # else it expires by itself
                await self.jobs.release(self.office.slug, self.printer.name, self.owner)

    async def _renew(self) -> None:
        step = self.lock_ttl_ms / 3000
        while self.holding:
            # Short steps, so that the end of the hold is noticed soon.
            for _ in range(10):
                await self._pause(step / 10)
                if not self.holding:
                    return
            try:
                ok = await self.jobs.renew(
                    self.office.slug, self.printer.name, self.owner, self.lock_ttl_ms
                )
            except StoreError:
                continue  # the lock lasts a while longer; try again
            if not ok:
                log.warning("printer %s: lost the lock; standing by", self.printer.name)
                self.holding = False

    async def _drive(self) -> None:
        slug, name = self.office.slug, self.printer.name
        await self.jobs.ensure_group(slug, name)
        await self._recover()
        await self._poll()
        polled = time.monotonic()
        while self.holding:
            job = await self.jobs.next_job(slug, name, self.block_ms)
            if job is not None:
                await self._print(job)
                polled = time.monotonic()
            elif time.monotonic() - polled > self.idle_poll_s:
                await self._poll()
                polled = time.monotonic()

    async def _recover(self) -> None:
        """The crash rule (module docstring): a job left on the wire is held, not reprinted."""
        slug, name = self.office.slug, self.printer.name
        sending = (await self.jobs.state(slug, name)).get("sending")
        if not sending:
            return
        now = self.service.clock.now_ms()
        detail = "the server stopped while sending it; it may have printed"
        if await self.jobs.hold(slug, name, sending, "uncertain", detail, now):
            log.warning("printer %s: job %s held as uncertain", name, sending)
        else:
            await self.jobs.clear_sending(slug, name)

    async def _report(self, what: str, job: str | None, outcome: Any) -> None:
        state, problems, error = (
            describe_outcome(outcome) if outcome is not None else ("ok", [], "")
        )
        await self.jobs.report(
            self.office.slug, self.printer.name, job_id=job, state=state, problems=problems,
            error=error, now_ms=self.service.clock.now_ms(), what=what,  # type: ignore[arg-type]
            driver="server",
        )  # fmt: skip

    async def _poll(self) -> bool:
        """Queries the printer's status (DLE EOT) and records it; True if it is ready."""
        try:
            status = await self.worker.status_async()
        except StatusUnsupported:
            return True  # a write-only link: try the job itself
        except PrinterError as exc:
            await self._report("status", None, exc)
            return False
        await self._report("status", None, status)
        return status.ready

    async def _print(self, job: PrintJob) -> None:
        slug, name = self.office.slug, self.printer.name
        try:
            data = await self.service.render(self.printer, job)
        except (InvalidPrintData, UnencodableText) as exc:
            now = self.service.clock.now_ms()
            await self.jobs.hold(slug, name, job.id, "invalid", str(exc), now)
            return
        delay = self.retry_first_s
        while self.holding:
            if not await self.jobs.begin(slug, name, job.id, self.service.clock.now_ms()):
                return  # a manager cleared it
            try:
                status = await self.worker.print_async(data)
            except RETRYABLE as exc:
                await self._report("attempt", job.id, exc)
                # Wait with growing pauses, asking the printer (DLE EOT) whether it is back.
                while self.holding:
                    await self._pause(delay)
                    if not self.holding:
                        return
                    delay = min(delay * 2, self.retry_max_s)
                    if await self._poll():
                        break
                continue
            await self._done(job, status)
            return

    async def _done(self, job: PrintJob, status: Any) -> None:
        # The job is on paper: record it even through a Redis outage, or it would print again.
        while True:
            try:
                await self._report("done", job.id, status)
                return
            except StoreError as exc:
                log.warning("printer %s: cannot record job %s yet: %s", self.printer.name,
                            job.id, exc)  # fmt: skip
                if self.stopped.is_set():
                    return  # its mark stays: the next driver holds it as uncertain
                await self._pause(0.5)


class ServerDrivers:
    """This process's `ServerDriver`s: one per `driver = "server"` printer of the offices as
    they are now, not as they were at start-up.

    `sync` (called at start and on every `office.config_changed`) starts the driver of a
    printer a manager added, stops the driver of one removed or handed to an agent, and
    replaces the driver of one whose address or options changed. A replacement starts only
    once its predecessor has finished the attempt in hand and let go of the printer's lock,
    so the two never drive the printer at once.
    """

    def __init__(self, service: PrintService) -> None:
        self.service = service
        self.running: dict[tuple[str, str], ServerDriver] = {}
        self._last: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def sync(self) -> None:
        if self._closed:
            return
        wanted = {
            (o.slug, p.name): (o, p)
            for o in self.service.queue.offices.all() for p in o.printers
            if p.driver == "server"
        }  # fmt: skip
        for key, driver in list(self.running.items()):
            if key not in wanted or wanted[key][1] != driver.printer:
                log.info("printer %s/%s changed or removed: its driver stops", *key)
                driver.stop()
                del self.running[key]
        for key, (office, printer) in wanted.items():
            if key not in self.running:
                self._start(key, ServerDriver(self.service, office, printer))

    def _start(self, key: tuple[str, str], driver: ServerDriver) -> None:
        self.running[key] = driver
        task = asyncio.create_task(
            _after(self._last.get(key), driver), name=f"printer-{key[0]}-{key[1]}"
        )
        self._last[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def on_event(self, event: Event) -> None:
        """A hub listener for `office.config_changed`: follow the office's printers."""
        self.sync()

    async def close(self) -> None:
        """Stop every driver: each ends within `block_ms` plus the attempt in hand."""
        self._closed = True
        for driver in self.running.values():
            driver.stop()
        tasks = list(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=ServerDriver.block_ms / 1000 + 5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _after(previous: asyncio.Task[None] | None, driver: ServerDriver) -> None:
    if previous is not None:
        await asyncio.wait([previous])
    await driver.run()


def _local(ms: int, office: Office) -> datetime:
    return datetime.fromtimestamp(ms / 1000, office.tz)


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _problems(value: str | None) -> list[str]:
    problems = json.loads(value) if value else []
    return [str(p) for p in problems] if isinstance(problems, list) else []
