"""Appointment use cases: free slots, booking, cancel, reschedule, kiosk check-in, result
pickups (hẹn trả kết quả), the walk-in gate and rate limits."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from queue_server.config import Config
from queue_server.errors import BadRequest, Conflict, Localized, NotFound, Text, TooManyRequests
from queue_server.office import APPOINTMENT, Field, Office, Procedure
from queue_server.rules.calendar import add_working_days, hours_on, working_days_after
from queue_server.rules.slots import (
    CheckInStatus,
    FreeSlot,
    SlotRule,
    bookable_slots,
    check_in_status,
    day_slots,
    free_slots,
    slot_capacity,
)
from queue_server.services.auth import AuthService
from queue_server.services.clock import Clock
from queue_server.services.queue import Placed, QueueService
from queue_server.services.walk_ins import closed_conflict
from queue_server.store.bookings import Booking as Booking  # handed on to web
from queue_server.store.bookings import BookingStore, CodeTaken, booking_conflict
from queue_server.store.records import Ticket
from queue_server.store.scripts import ticket_state

# No 0/O, 1/I: a code is read aloud and typed on a kiosk keypad. 32**8 = 2**40 codes.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# Mobile (10 digits) or landline (02x, 11 digits), as written in Vietnam.
PHONE_RE = re.compile(r"^0(?:[35789]\d{8}|2\d{9})$")
CCCD_RE = re.compile(r"^\d{12}$")
BAD_PHONE = Text(text_key="error.booking.phone")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """What a citizen typed or a scanner sent: case, spaces, dashes, a scanned URL."""
    text = raw.strip().rsplit("/", 1)[-1].upper()
    return re.sub(r"[\s-]", "", text)


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"[\s.()-]", "", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


class InvalidInput(BadRequest):
    """Form input a citizen must correct; `fields` maps a form field to its problem, each
    told in turn (a form shows each next to its field)."""

    code = "invalid_input"

    def __init__(self, fields: dict[str, Text]) -> None:
        first, *more = fields.values()
        log = "; ".join(f"{k}: {v.text_key}" for k, v in fields.items())
        super().__init__(log, text_key=first.text_key, params=first.params, more=more)
        self.fields = fields


@dataclass(frozen=True)
class CheckIn:
    status: CheckInStatus
    booking: Booking
    placed: Placed | None
    again: bool = False


@dataclass(frozen=True)
class Citizen:
    name: str
    phone: str
    cccd: str = ""
    email: str = ""


def validate_citizen(name: str, phone: str, cccd: str = "", email: str = "") -> Citizen:
    errors: dict[str, Text] = {}
    name = " ".join(name.split())
    if not 2 <= len(name) <= 100:
        errors["name"] = Text(text_key="error.booking.name")
    phone = normalise_phone(phone)
    if not PHONE_RE.match(phone):
        errors["phone"] = BAD_PHONE
    cccd = cccd.strip()
    if cccd and not CCCD_RE.match(cccd):
        errors["cccd"] = Text(text_key="error.booking.cccd")
    email = email.strip()
    if email and not EMAIL_RE.match(email):
        errors["email"] = Text(text_key="error.booking.email")
    if errors:
        raise InvalidInput(errors)
    return Citizen(name, phone, cccd, email)


class AppointmentService:
    def __init__(
        self, config: Config, store: BookingStore, queue: QueueService, clock: Clock | None = None,
        people: AuthService | None = None,
    ) -> None:  # fmt: skip
        self.config = config
        self.store = store
        self.queue = queue
        self.clock = clock or Clock()
        # Names the clerk on slips by full name; without it (tests of dates) by login.
        self.people = people

    # Time in the office's wall clock, as the pure rules want it.

    def local_now(self, office: Office, now_ms: int | None = None) -> datetime:
        ms = self.clock.now_ms() if now_ms is None else now_ms
        return datetime.fromtimestamp(ms / 1000, office.tz).replace(tzinfo=None)

    @staticmethod
    def to_ms(office: Office, local: datetime) -> int:
        return int(local.replace(tzinfo=office.tz).timestamp() * 1000)

    def to_local(self, office: Office, ms: int) -> datetime:
        return self.local_now(office, ms)

    # Slots.

    def rule(self, office: Office, field: Field) -> SlotRule:
        a = office.appointments
        capacity = a.capacity
        if capacity is None:
            serving = sum(1 for c in office.counters if field.code in c.fields)
            capacity = slot_capacity(serving, a.slot_minutes, max(1, round(field.service_minutes)))
        return SlotRule(
            length_minutes=a.slot_minutes, capacity=capacity, walk_in_share=a.walk_in_share,
            horizon_days=a.horizon_days, min_notice_minutes=a.min_notice_minutes,
        )  # fmt: skip

    async def free(self, office: Office, field: Field, day: date) -> tuple[FreeSlot, ...]:
        rule = self.rule(office, field)
        slots = bookable_slots(day_slots(office.calendar, day, rule), self.local_now(office), rule)
        starts = [self.to_ms(office, s.start) for s in slots]
        counts = await self.store.slot_counts(office.slug, field.code, starts)
        booked = {s.start: counts[ms] for s, ms in zip(slots, starts, strict=True)}
        return free_slots(slots, booked)

    def days(self, office: Office, field: Field) -> list[date]:
        """The days of the booking horizon on which the desk has hours."""
        rule = self.rule(office, field)
        now = self.local_now(office)
        out = []
        for offset in range(rule.horizon_days + 1):
            day = now.date() + timedelta(days=offset)
            if bookable_slots(day_slots(office.calendar, day, rule), now, rule):
                out.append(day)
        return out

    async def _slot(self, office: Office, field: Field, start: datetime) -> FreeSlot:
        for free in await self.free(office, field, start.date()):
            if free.slot.start == start:
                return free
        raise Conflict(
            f"{start:%H:%M %d/%m/%Y} is not a free slot of {field.code}",
            text_key="error.booking.slot_unavailable",
            params={"time": f"{start:%H:%M}", "day": start.date()},
            code="slot_unavailable",
        )

    # Booking.

    @staticmethod
    def procedure(office: Office, code: str) -> tuple[Field, Procedure]:
        for f in office.fields:
            for p in f.procedures:
                if p.code == code:
                    return f, p
        raise NotFound(text_key="error.office.no_procedure", params={"code": code})

    async def limit(self, office: Office, ip: str, phone: str | None) -> None:
        """429 when one client or one phone books abusively often."""
        a = office.appointments
        now = self.clock.now_ms()
        if await self.store.hit(office.slug, "ip", ip, 3600, now) > a.bookings_per_ip_per_hour:
            raise TooManyRequests(text_key="error.booking.too_many_ip")
        if phone is not None:
            n = await self.store.hit(office.slug, "phone", phone, 86400, now)
            if n > a.bookings_per_phone_per_day:
                raise TooManyRequests(text_key="error.booking.too_many_phone")

    async def book(
        self, slug: str, field_code: str, procedure_code: str, start: datetime,
        citizen: Citizen, *, idempotency_key: str | None = None,
    ) -> Booking:  # fmt: skip
        office = self.queue.office(slug)
        field = self.queue.field(office, field_code)
        if procedure_code and procedure_code not in {p.code for p in field.procedures}:
            raise InvalidInput({"procedure": Text(text_key="error.booking.procedure_field")})
        free = await self._slot(office, field, start)
        for _ in range(5):
            code = new_code()
            if not await self.store.reserve_code(code, slug):
                continue
            try:
                return await self.store.create(
                    slug, code, capacity=free.slot.capacity,
                    max_per_phone=office.appointments.max_active_per_phone,
                    now_ms=self.clock.now_ms(), start_ms=self.to_ms(office, free.slot.start),
                    end_ms=self.to_ms(office, free.slot.end), day=start.date().isoformat(),
                    field=field.code, procedure=procedure_code, name=citizen.name,
                    phone=citizen.phone, cccd=citizen.cccd, email=citizen.email,
                    idempotency_key=idempotency_key,
                )  # fmt: skip
            except CodeTaken:
                continue
            except Exception:
                await self.store.release_code(code)
                raise
        raise Conflict(text_key="error.booking.no_code")

    async def find(self, code: str, slug: str | None = None) -> Booking:
        code = normalise_code(code)
        if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
            raise NotFound(f"no booking {code!r}", text_key="error.booking.code_form")
        office_slug = await self.store.office_of(code)
        if office_slug is None or (slug is not None and office_slug != slug):
            raise NotFound(f"no booking {code!r}", text_key="error.booking.not_found")
        return await self.store.get(office_slug, code)

    async def cancel(self, slug: str, code: str, by: str = "citizen",
                     idempotency_key: str | None = None) -> Booking:  # fmt: skip
        b = await self.find(code, slug)
        if b.kind == "onsite":
            return await self.store.cancel_onsite(b, self.clock.now_ms(), by, idempotency_key)
        return await self.store.cancel(b, self.clock.now_ms(), by, idempotency_key)

    async def reschedule(self, slug: str, code: str, start: datetime,
                         idempotency_key: str | None = None) -> Booking:  # fmt: skip
        b = await self.find(code, slug)
        office = self.queue.office(slug)
        field = self.queue.field(office, b.field)
        if b.status != "booked" or b.kind != "visit":
            raise booking_conflict("reschedule", b.status, b.kind)
        free = await self._slot(office, field, start)
        return await self.store.reschedule(
            b, capacity=free.slot.capacity, start_ms=self.to_ms(office, free.slot.start),
            end_ms=self.to_ms(office, free.slot.end), day=start.date().isoformat(),
            now_ms=self.clock.now_ms(), idem=idempotency_key,
        )  # fmt: skip

    # Staff on site: an appointment at the citizen's (or a business's) address.

    async def book_onsite(
        self, slug: str, staff: str, field_code: str, procedure_code: str, start: datetime,
        minutes: int, address: str, citizen: Citizen, idempotency_key: str | None = None,
    ) -> Booking:  # fmt: skip
        """Books `staff` for `minutes` from `start` at `address`; refuses an overlap with
        another visit of the same person, and a time outside the office's hours."""
        office = self.queue.office(slug)
        field = self.queue.field(office, field_code)
        problems: dict[str, Text] = {}
        address = " ".join(address.split())
        if not 5 <= len(address) <= 200:
            problems["address"] = Text(text_key="error.booking.address")
        if not 15 <= minutes <= 480:
            problems["minutes"] = Text(text_key="error.booking.minutes")
        if procedure_code and procedure_code not in {p.code for p in field.procedures}:
            problems["procedure"] = Text(text_key="error.booking.procedure_field")
        if problems:
            raise InvalidInput(problems)
        end = start + timedelta(minutes=minutes)
        sessions = hours_on(office.calendar, start.date())
        if (
            not sessions
            or start.time() < sessions[0].start
            or end.date() != start.date()
            or end.time() > sessions[-1].end
        ):
            raise Conflict(
                text_key="error.booking.outside_hours",
                params={"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "day": start.date()},
                code="outside_hours",
            )
        for _ in range(5):
            code = new_code()
            if not await self.store.reserve_code(code, slug):
                continue
            try:
                made = await self.store.create_onsite(
                    slug, code, now_ms=self.clock.now_ms(), start_ms=self.to_ms(office, start),
                    end_ms=self.to_ms(office, end), day=start.date().isoformat(),
                    field=field.code, procedure=procedure_code, name=citizen.name,
                    phone=citizen.phone, staff=staff, address=address,
                    idempotency_key=idempotency_key,
                )  # fmt: skip
            except CodeTaken:
                continue
            except Exception:
                await self.store.release_code(code)
                raise
            if made.code != code:
                await self.store.release_code(code)
            return made
        raise Conflict(text_key="error.booking.no_code")

    async def plan(self, slug: str, day: date) -> list[Booking]:
        """The day's appointments of every kind, in time order (cancelled ones left out)."""
        office = self.queue.office(slug)
        codes = await self.store.day_codes(office.slug, day.isoformat())
        found = await self.store.many(office.slug, codes)
        return sorted((b for b in found if b.status != "cancelled"), key=lambda b: b.start)

    # Kiosk check-in.

    async def check_in(self, slug: str, code: str) -> CheckIn:
        """Issue the appointment ticket when in the window; else say early or late.

        Idempotent: the ticket is issued with an idempotency key derived from the code, and
        the booking keeps its ticket, so a second check-in returns the same ticket."""
        office = self.queue.office(slug)
        b = await self.find(code, slug)
        if b.status == "checked_in":
            return CheckIn("ok", b, await self.queue.get(b.ticket), again=True)
        if b.kind == "onsite":
            raise Conflict(text_key="error.booking.onsite_check_in", code="onsite")
        if b.status != "booked":
            raise Conflict(
                f"booking {b.code} is {b.status}",
                text_key="error.booking.not_booked",
                code="booking_" + b.status,
            )
        now = self.local_now(office)
        status: CheckInStatus
        if b.kind == "visit":
            a = office.appointments
            start = self.to_local(office, b.start)
            status = check_in_status(start, now, a.check_in_early_minutes, a.check_in_late_minutes)
        else:
            # A result waits for its owner: only coming before the pickup day is refused.
            status = "early" if now.date().isoformat() < b.day else "ok"
        if status != "ok":
            return CheckIn(status, b, None)
        due = b.start if b.kind == "visit" else self.clock.now_ms()
        placed = await self.queue.issue(
            slug, b.field, APPOINTMENT, due_ms=due, idempotency_key=f"checkin.{b.code}"
        )
        booked, again = await self.store.check_in(
            b, self.clock.now_ms(), placed.ticket.id, placed.ticket.number,
            self.queue.day(office),
        )  # fmt: skip
        if booked.ticket != placed.ticket.id:
            placed = await self.queue.get(booked.ticket)
        return CheckIn("ok", booked, placed, again)

    # Result pickups.

    def result_date(self, office: Office, procedure: Procedure, received: datetime) -> date:
        if procedure.no_wait:
            return received.date()
        return add_working_days(office.calendar, received, procedure.legal_days, office.cutoff)

    def _day_bounds(self, office: Office, day: date) -> tuple[int, int]:
        sessions = hours_on(office.calendar, day)
        first = sessions[0].start if sessions else time(0, 0)
        last = sessions[-1].end if sessions else time(23, 59)
        return (self.to_ms(office, datetime.combine(day, first)),
                self.to_ms(office, datetime.combine(day, last)))  # fmt: skip

    @staticmethod
    def check_handled(office: Office, ticket: Ticket, field: Field, procedure: Procedure) -> None:
        """A clerk records only what their counter handles: a procedure of the ticket's field
        or of a field the counter that served the ticket serves."""
        counter = office.counter(ticket.counter) if ticket.counter is not None else None
        if field.code == ticket.field or (counter is not None and field.code in counter.fields):
            return
        where = (
            Localized(counter.name, f"counter {counter.number}") if counter
            else Text(text_key="error.booking.where_counter")
        )  # fmt: skip
        raise BadRequest(
            f"procedure {procedure.code} is not of ticket {ticket.number}'s field {field.code}",
            text_key="error.booking.wrong_procedure",
            params={
                "code": procedure.code,
                "procedure": Localized(f"“{procedure.name_vi}”", f"({procedure.name_en})"),
                "field": Localized(field.name_vi, f"{field.name_en} ({field.code})"),
                "number": ticket.number,
                "where": where,
            },
            code="wrong_procedure",
        )

    async def record_result(
        self, ticket_id: str, procedure_code: str, name: str, phone: str, staff: str
    ) -> Booking:
        """A result-pickup appointment for a dossier received at a counter; one per ticket
        and procedure. `phone` may be empty; when given it must be a Vietnamese number."""
        placed = await self.queue.get(ticket_id)
        ticket = placed.ticket
        if ticket.status not in ("serving", "done"):
            raise Conflict(
                text_key="error.booking.result_state",
                params={
                    "number": ticket.number,
                    "state": ticket_state(ticket.status),
                },
                code="invalid_state",
            )
        phone = normalise_phone(phone) if phone.strip() else ""
        if phone and not PHONE_RE.match(phone):
            raise InvalidInput({"phone": BAD_PHONE})
        office = self.queue.office(ticket.office)
        field, procedure = self.procedure(office, procedure_code)
        self.check_handled(office, ticket, field, procedure)
        received = self.local_now(office)
        day = self.result_date(office, procedure, received)
        start_ms, end_ms = self._day_bounds(office, day)
        # Derived whatever key the client sent: a second dialog at the counter, or another
        # workstation, for the same dossier answers the first pickup rather than a new one.
        idem = f"result.{ticket.id}.{procedure.code}"
        for _ in range(5):
            code = new_code()
            if not await self.store.reserve_code(code, office.slug):
                continue
            try:
                made = await self.store.create_result(
                    office.slug, code, now_ms=self.clock.now_ms(), start_ms=start_ms,
                    end_ms=end_ms, day=day.isoformat(), field=field.code,
                    procedure=procedure.code, name=name, phone=phone, ticket_id=ticket.id,
                    received_ms=self.to_ms(office, received), staff=staff,
                    idempotency_key=idem,
                )  # fmt: skip
            except CodeTaken:
                continue
            if made.code != code:
                # A replayed request answers the first code; the new one is not used.
                await self.store.release_code(code)
            return made
        raise Conflict(text_key="error.booking.no_pickup_code")

    async def find_pickup(self, code: str, slug: str | None = None) -> Booking:
        """A result pickup (hẹn trả kết quả) by its dossier code, of any state."""
        b = await self.find(code, slug)
        if b.kind != "result":
            raise NotFound(text_key="error.booking.not_pickup", params={"code": b.code})
        return b

    def postponed_day(self, b: Booking, working_days: int) -> date:
        """The pickup day moved by `working_days` working days of the office's calendar,
        counted from the day promised, or from today when that day is already past."""
        office = self.queue.office(b.office)
        promised = date.fromisoformat(b.day)
        return working_days_after(
            office.calendar, max(promised, self.local_now(office).date()), working_days
        )

    async def postpone_result(
        self, code: str, new_day: date | None, reason: str, staff: str,
        idempotency_key: str | None = None, *, working_days: int | None = None,
        slug: str | None = None,
    ) -> Booking:  # fmt: skip
        """Moves an open result pickup to `new_day`, or by `working_days`; the slip becomes
        an apology slip (mẫu 04)."""
        b = await self.find_pickup(code, slug)
        office = self.queue.office(b.office)
        if b.status != "booked":
            raise Conflict(
                text_key="error.booking.postpone_state",
                params={"code": b.code, "status": b.status},
                code="invalid_state",
            )
        if not reason.strip():
            raise InvalidInput({"reason": Text(text_key="error.booking.delay_reason")})
        if new_day is None:
            if working_days is None or not 1 <= working_days <= 60:
                raise InvalidInput({"working_days": Text(text_key="error.booking.postpone_by")})
            new_day = self.postponed_day(b, working_days)
        if not hours_on(office.calendar, new_day):
            raise BadRequest(text_key="error.booking.not_working_day", params={"day": new_day})
        start_ms, end_ms = self._day_bounds(office, new_day)
        return await self.store.postpone_result(
            b, now_ms=self.clock.now_ms(), start_ms=start_ms, end_ms=end_ms,
            day=new_day.isoformat(), reason=reason.strip(), staff=staff, idem=idempotency_key,
        )  # fmt: skip

    @staticmethod
    def slip_kind(b: Booking) -> str:
        """The printer document of a result pickup's slip: "result", or "apology" (phiếu xin
        lỗi và hẹn lại ngày trả kết quả) once the result was postponed."""
        return "apology" if b.reschedules else "result"

    async def slip(self, b: Booking, base: str | None = None) -> tuple[str, dict[str, Any]]:
        """The `slip_kind` and `slip_data` of a result pickup, the clerk by full name."""
        logins = [b.staff, *(str(h.get("by") or "") for h in b.history)]
        logins = [n for n in dict.fromkeys(logins) if n]
        names = await self.people.display_names(logins) if self.people else {}
        return self.slip_kind(b), self.slip_data(b, base, names)

    def slip_data(
        self, b: Booking, base: str | None = None, names: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The print payload of the `slip_kind` of a result pickup, for printer.render; its
        link leads to `base`, by default to `server.base_url()`; `names` gives a login's
        full name ("Người tiếp nhận: Nguyễn Thị Lan")."""
        names = names or {}
        office = self.queue.office(b.office)
        field, procedure = self.procedure(office, b.procedure)
        counters = ", ".join(str(c.number) for c in office.counters if field.code in c.fields)
        data: dict[str, Any] = {
            "office": office.name,
            "code": b.code,
            "citizen": b.name,
            "procedure": procedure.name_vi,
            "when": self.to_local(office, b.start).isoformat(),
            "received_at": self.to_local(office, b.received_at).isoformat()
            if b.received_at
            else None,
            "place": f"Quầy {counters}" + (f" — {office.address}" if office.address else ""),
            "url": f"{base or self.config.server.base_url()}/appointments/{b.code}",
            "footer": office.ticket_footer,
        }
        if self.slip_kind(b) == "result":
            notes = [f"Mang theo phiếu này và mã {b.code} khi đến nhận kết quả."]
            return {**data, "staff": names.get(b.staff, b.staff), "notes": notes}
        # The slip of the last postponement, the same each time it is printed or shown.
        postponed = (h for h in reversed(b.history) if h.get("action") == "postponed")
        last: dict[str, Any] = next(postponed, {})
        return {
            **data,
            "due": str(last.get("from") or b.day),
            "reason": b.reason,
            "issued_at": self.to_local(office, int(last.get("at") or b.created_at)).isoformat(),
            "staff": names.get(by := str(last.get("by") or b.staff), by),
            "bilingual": office.print_bilingual,
        }

    # The walk-in gate.

    async def check_walk_in(self, slug: str) -> None:
        if await self.store.gate(slug) == "closed":
            raise closed_conflict(self.queue.office(slug), self.clock.now_ms())
