"""Print jobs in Redis: one stream per printer, read through a consumer group.

A job is an entry of `keys.print_jobs(office, printer)`; its id is the stream id. The driver
of the printer (a server task or the print agent's socket) reads it with XREADGROUP under
one fixed consumer name, so whoever drives the printer next finds the jobs its predecessor
had read but not finished (the pending entries list) before any new one, in order. A job
leaves the stream only when the printer took it (`report(..., "done")`: XACK + XDEL in one
script), when a person clears it, or when it is held for a person (`hold`).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import redis
import redis.asyncio as aredis
from redis.commands.core import AsyncScript

from queue_server.errors import Conflict, Forbidden, NotFound
from queue_server.store import keys
from queue_server.store.scripts import _source

GROUP = "printers"
# One consumer name per printer: only the holder of the printer's lock reads, and a new
# holder must see the jobs its predecessor had read and not finished.
CONSUMER = "driver"
NAMES = ("print_enqueue", "print_begin", "print_report", "print_hold", "print_clear")
Report = Literal["done", "attempt", "status"]
HoldReason = Literal["uncertain", "invalid"]


@dataclass(frozen=True)
class PrintJob:
    """One document for one printer: `kind` and `data` are `render_document`'s arguments."""

    id: str
    uid: str
    kind: str
    data: dict[str, Any]
    ticket: str | None
    requested_by: str
    at: int
    reason: str | None = None  # held jobs: "uncertain" or "invalid"
    detail: str = ""

    @classmethod
    def from_fields(cls, job_id: str, f: dict[str, Any]) -> PrintJob:
        return cls(
            id=job_id,
            uid=f.get("uid", ""),
            kind=f.get("kind", ""),
            data=json.loads(f.get("data") or "{}"),
            ticket=f.get("ticket") or None,
            requested_by=f.get("by", ""),
            at=int(f.get("at") or 0),
            reason=f.get("reason") or None,
            detail=f.get("detail") or "",
        )

    def to_json(self) -> dict[str, Any]:
        """Without the payload: what a list of jobs shows."""
        number = self.data.get("number") if self.kind == "ticket" else self.data.get("code")
        return {
            "id": self.id,
            "kind": self.kind,
            "ticket": self.ticket,
            "number": number,
            "requested_by": self.requested_by,
            "at": self.at,
            **({"reason": self.reason, "detail": self.detail} if self.reason else {}),
        }


class PrintJobs:
    def __init__(self, client: aredis.Redis) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client
        head = _source("prelude") + "\n" + _source("print_common")
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(head + "\n" + _source(name)) for name in NAMES
        }
        self._renew = client.register_script(_source("lock_renew"))
        self._release = client.register_script(_source("lock_release"))

    async def _run(self, name: str, keys_: list[str], args: list[Any]) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(await self._scripts[name](keys=keys_, args=args))
        return result

    @staticmethod
    def _idem(slug: str, key: str | None) -> tuple[str, str]:
        return (keys.idempotency(slug, key), "1") if key else (keys.idempotency(slug, "-"), "0")

    async def enqueue(
        self,
        slug: str,
        printer: str,
        kind: str,
        data: dict[str, Any],
        *,
        ticket: str | None,
        requested_by: str,
        now_ms: int,
        idempotency_key: str | None = None,
    ) -> str:
        """Adds a job at the end of the printer's line; returns its id (the same id again for
        a retried request with the same idempotency key)."""
        idem, use = self._idem(slug, idempotency_key)
        result = await self._run(
            "print_enqueue",
            [idem, keys.print_jobs(slug, printer)],
            [use, now_ms, secrets.token_urlsafe(12), kind,
             json.dumps(data, ensure_ascii=False), ticket or "", requested_by, GROUP],
        )  # fmt: skip
        return str(result["job"])

    async def ensure_group(self, slug: str, printer: str) -> None:
        try:
            await self.r.xgroup_create(keys.print_jobs(slug, printer), GROUP, "0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def next_job(self, slug: str, printer: str, block_ms: int) -> PrintJob | None:
        """The oldest job read earlier and not finished, else the next new one (waiting up to
        `block_ms` for it); None if there is none."""
        stream = keys.print_jobs(slug, printer)
        for start, block in (("0", None), (">", block_ms)):
            try:
                res = await self.r.xreadgroup(
                    GROUP, CONSUMER, {stream: start}, count=1, block=block
                )
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                await self.ensure_group(slug, printer)
                return None
            for _, entries in res or []:
                for job_id, fields in entries:
                    if fields:
                        return PrintJob.from_fields(job_id, fields)
                    # Deleted while pending (cannot happen through our scripts, which XACK
                    # before XDEL); acknowledge it so it does not block the line.
                    await self.r.xack(stream, GROUP, job_id)
                    return None
        return None

    async def begin(self, slug: str, printer: str, job_id: str, now_ms: int) -> bool:
        """Marks the job as on the wire; False if it was cleared (do not print it)."""
        result = await self._run(
            "print_begin",
            [keys.idempotency(slug, "-"), keys.print_jobs(slug, printer),
             keys.printer_state(slug, printer)],
            ["0", job_id, now_ms],
        )  # fmt: skip
        return bool(result.get("ok"))

    async def report(
        self,
        slug: str,
        printer: str,
        *,
        job_id: str | None,
        state: str,
        problems: list[str],
        error: str,
        now_ms: int,
        what: Report,
        driver: str,
    ) -> bool:
        """Records a printed job (`what="done"`) or the printer's state; True if the state
        changed (and a `printer.status` event was sent)."""
        result = await self._run(
            "print_report",
            [keys.idempotency(slug, "-"), keys.printer_state(slug, printer), keys.events(slug),
             keys.print_jobs(slug, printer), keys.print_held(slug, printer),
             keys.print_outcomes(slug, printer)],
            ["0", job_id or "", state, json.dumps(problems), error, now_ms, slug, printer, what,
             GROUP, driver],
        )  # fmt: skip
        return bool(result.get("changed"))

    async def hold(
        self, slug: str, printer: str, job_id: str, reason: HoldReason, detail: str, now_ms: int
    ) -> bool:
        result = await self._run(
            "print_hold",
            [keys.idempotency(slug, "-"), keys.print_jobs(slug, printer),
             keys.print_held(slug, printer), keys.printer_state(slug, printer), keys.events(slug)],
            ["0", job_id, GROUP, reason, now_ms, slug, printer, detail],
        )  # fmt: skip
        return bool(result.get("ok"))

    async def clear(
        self,
        slug: str,
        printer: str,
        job_id: str,
        by: str,
        now_ms: int,
        idempotency_key: str | None,
        *,
        only_own: bool = False,
    ) -> str:
        """Removes a waiting or held job; returns where it was ("queue" or "held").
        `only_own`: only a job still waiting that `by` sent (a clerk's cancel)."""
        idem, use = self._idem(slug, idempotency_key)
        result = await self._run(
            "print_clear",
            [idem, keys.print_jobs(slug, printer), keys.print_held(slug, printer),
             keys.printer_state(slug, printer), keys.events(slug),
             keys.print_outcomes(slug, printer)],
            [use, job_id, GROUP, now_ms, slug, printer, by, by if only_own else ""],
        )  # fmt: skip
        err = result.get("err")
        if err == "printing":
            raise Conflict(
                "the job is being sent to the printer right now and may print; it can no"
                " longer be cancelled",
                text_key="error.print.printing",
                code="printing",
            )
        if err == "printed":
            raise Conflict(
                "the job has already printed; it cannot be cancelled",
                text_key="error.print.printed",
                code="printed",
            )
        if err == "not_yours":
            raise Forbidden(
                "only the person who sent this job, or a manager, may cancel it",
                text_key="error.print.not_yours",
            )
        if err is not None:
            raise NotFound(text_key="error.print.no_job", params={"job": job_id})
        return str(result["from"])

    async def where(self, slug: str, printer: str, job_id: str) -> str | None:
        """ "waiting" (in the line) or "held" for a job not finished, else None."""
        if await self.r.xrange(keys.print_jobs(slug, printer), job_id, job_id):
            return "waiting"
        if await self.r.hexists(keys.print_held(slug, printer), job_id):
            return "held"
        return None

    async def outcome(self, slug: str, printer: str, job_id: str) -> str | None:
        """ "printed" or "cleared" for a job finished within the last day, else None."""
        key = keys.print_outcomes(slug, printer)
        printed, cleared = await self.r.zmscore(key, [f"{job_id}|printed", f"{job_id}|cleared"])
        return "printed" if printed is not None else "cleared" if cleared is not None else None

    async def state(self, slug: str, printer: str) -> dict[str, str]:
        h = await self.r.hgetall(keys.printer_state(slug, printer))
        return dict(h)

    async def clear_sending(self, slug: str, printer: str) -> None:
        """Forget the on-the-wire mark (the print agent keeps its own journal instead)."""
        await self.r.hdel(keys.printer_state(slug, printer), "sending", "sending_at")

    async def waiting(self, slug: str, printer: str, limit: int = 200) -> list[PrintJob]:
        entries = await self.r.xrange(keys.print_jobs(slug, printer), count=limit)
        return [PrintJob.from_fields(job_id, f) for job_id, f in entries if f]

    async def count(self, slug: str, printer: str) -> int:
        """Jobs in the printer's line."""
        return int(await self.r.xlen(keys.print_jobs(slug, printer)))

    async def held(self, slug: str, printer: str) -> list[PrintJob]:
        raw = await self.r.hgetall(keys.print_held(slug, printer))
        jobs = [PrintJob.from_fields(job_id, json.loads(v)) for job_id, v in raw.items()]
        return sorted(jobs, key=lambda j: tuple(int(p) for p in j.id.split("-")))

    # The lock that makes one driver per printer across server processes.

    async def acquire(self, slug: str, printer: str, owner: str, ttl_ms: int) -> bool:
        """Take the printer if nobody drives it (a server process)."""
        done = await self.r.set(keys.printer_lock(slug, printer), owner, nx=True, px=ttl_ms)
        return bool(done)

    async def take_over(self, slug: str, printer: str, owner: str, ttl_ms: int) -> None:
        """Take the printer whoever drives it: a reconnecting print agent replaces its own
        stale socket, which notices at its next renewal and steps down."""
        await self.r.set(keys.printer_lock(slug, printer), owner, px=ttl_ms)

    async def renew(self, slug: str, printer: str, owner: str, ttl_ms: int) -> bool:
        renewed = await self._renew(keys=[keys.printer_lock(slug, printer)], args=[owner, ttl_ms])
        return bool(renewed)

    async def driven(self, slug: str, printer: str) -> bool:
        """Whether a server process or a connected agent drives the printer now."""
        return bool(await self.r.exists(keys.printer_lock(slug, printer)))

    async def release(self, slug: str, printer: str, owner: str) -> bool:
        """Give the printer up; False if someone else had taken it meanwhile."""
        return bool(await self._release(keys=[keys.printer_lock(slug, printer)], args=[owner]))
