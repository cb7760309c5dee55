"""Every Redis key name of sothutu, in one place.

All keys of one office share the hash tag ``{slug}``, so each office's Lua scripts touch a
single Redis Cluster slot. Users, device tokens and sessions are deployment-wide: they have
no hash tag, lie in many slots of a cluster, and no command or MULTI combines two of them
(`accounts.py`).
"""

from __future__ import annotations

# A lane's name is part of its queues' keys; the calling policy names the lanes.
from queue_server.rules.calling import counter_lane as counter_lane

PREFIX = "sq"
# The hash tag of the deployment's list of offices and its stream of changes: one slot, so
# that a change of the list and its event are one step on a cluster too. "_" is in no
# office's slug (office.SLUG_RE), so no office shares it.
PROVINCE = "_province"


def office(slug: str) -> str:
    return f"{PREFIX}:{{{slug}}}"


def ticket(slug: str, token: str) -> str:
    return f"{office(slug)}:t:{token}"


def queue(slug: str, lane: str, klass: str) -> str:
    """Waiting tickets of one lane (a field code, or ``@N`` for counter N) and class."""
    return f"{office(slug)}:q:{lane}:{klass}"


def sequence(slug: str, day: str, field: str) -> str:
    return f"{office(slug)}:n:{day}:{field}"


def counter(slug: str, number: int) -> str:
    return f"{office(slug)}:c:{number}"


def open_counters(slug: str, field: str) -> str:
    """Set of counter numbers that are open and serve the field."""
    return f"{office(slug)}:open:{field}"


def events(slug: str) -> str:
    return f"{office(slug)}:events"


def changes(slug: str) -> str:
    """A short stream of the office's `office.config_changed` events (they are in `events`
    too): what every server process reads for every office, to apply a manager's change,
    while it reads an office's whole event stream only for the sockets it serves."""
    return f"{office(slug)}:changes"


def office_list() -> str:
    """Hash slug -> JSON {state, periods, by, at}: every office of the deployment, open or
    closed (`store/offices.py`)."""
    return f"{office(PROVINCE)}:offices"


def province_changes() -> str:
    """The stream of changes of the list of offices (`office.added`, `office.closed`,
    `office.reopened`), which every server process follows like an office's changes."""
    return changes(PROVINCE)


def idempotency(slug: str, key: str) -> str:
    return f"{office(slug)}:idem:{key}"


def service_times(slug: str, field: str) -> str:
    return f"{office(slug)}:svc:{field}"


def current_day(slug: str) -> str:
    return f"{office(slug)}:day"


def day_tickets(slug: str, day: str) -> str:
    return f"{office(slug)}:tickets:{day}"


def hub_wake(slug: str, hub: str) -> str:
    """A stream that one hub's reader of the office's slot blocks on besides the event
    streams, so that the hub can wake it (to stop, or to read one more office)."""
    return f"{office(slug)}:hub:{hub}"


def recent_calls(slug: str) -> str:
    return f"{office(slug)}:calls"


def print_jobs(slug: str, printer: str) -> str:
    """Stream of a printer's print jobs, read by its driver through a consumer group."""
    return f"{office(slug)}:print:{printer}"


def print_held(slug: str, printer: str) -> str:
    """Hash job id -> job JSON: jobs taken out of the line for a person (uncertain, invalid)."""
    return f"{office(slug)}:print:{printer}:held"


def print_outcomes(slug: str, printer: str) -> str:
    """Sorted set "<job id>|printed" or "<job id>|cleared" -> ms, the last day's finished
    jobs: what a page that sent a job, or a person cancelling it, is told happened."""
    return f"{office(slug)}:print:{printer}:outcomes"


def printer_state(slug: str, printer: str) -> str:
    """Hash: state, problems, last_ok, last_error, updated_at, sending (the job on the wire)."""
    return f"{office(slug)}:printer:{printer}"


def printer_lock(slug: str, printer: str) -> str:
    """Who drives the printer now: a server process or an agent's socket (SET PX, renewed)."""
    return f"{office(slug)}:printer:{printer}:lock"


def user(name: str) -> str:
    return f"{PREFIX}:user:{name}"


def users() -> str:
    return f"{PREFIX}:users"


def token(digest: str) -> str:
    return f"{PREFIX}:token:{digest}"


def user_tokens(name: str) -> str:
    """Set of the digests of a user's live tokens, so a removed user is logged out at once."""
    return f"{PREFIX}:user:{name}:tokens"


def device(name: str) -> str:
    return f"{PREFIX}:device:{name}"


def devices() -> str:
    return f"{PREFIX}:devices"


def booking(slug: str, code: str) -> str:
    """One appointment (a visit slot or a result pickup), by its booking code."""
    return f"{office(slug)}:b:{code}"


def booking_code(code: str) -> str:
    """Deployment-wide: which office a booking code belongs to (keeps codes unique)."""
    return f"{PREFIX}:bcode:{code}"


def slot_bookings(slug: str, field: str, start_ms: int) -> str:
    """Set of the active booking codes of one slot of a field."""
    return f"{office(slug)}:slot:{field}:{start_ms}"


def phone_bookings(slug: str, phone: str) -> str:
    return f"{office(slug)}:phone:{phone}"


def day_bookings(slug: str, day: str) -> str:
    """Booking codes of a day (visits and result pickups), scored by their time in ms."""
    return f"{office(slug)}:bday:{day}"


def staff_visits(slug: str, staff: str, day: str) -> str:
    """A staff member's visits at an address on a day (codes scored by start ms)."""
    return f"{office(slug)}:onsite:{staff}:{day}"


def rate(slug: str, what: str, who: str, window: int) -> str:
    return f"{office(slug)}:rate:{what}:{who}:{window}"


def walk_in_gate(slug: str) -> str:
    """ "closed" from the walk-in stop before closing until the next day opens."""
    return f"{office(slug)}:walkin"


def schedule_mark(slug: str) -> str:
    """The instant (ms) up to which the scheduler has run this office's day transitions."""
    return f"{office(slug)}:sched"


def outbox(slug: str) -> str:
    return f"{office(slug)}:outbox"


def day_report(slug: str, day: str) -> str:
    return f"{office(slug)}:report:{day}"


def day_aggregate(slug: str, day: str) -> str:
    """JSON figures of one closed office day, folded once from its events (reports)."""
    return f"{office(slug)}:agg:{day}"


def month_aggregate(slug: str, month: str) -> str:
    """JSON: a closed month's day aggregates merged (`month` is YYYY-MM), for year reports."""
    return f"{office(slug)}:aggm:{month}"


def schema() -> str:
    """The shape of the deployment's data, a version number (`store/schema.py`). Alone in
    its slot: it is read and set by itself."""
    return f"{PREFIX}:schema"


def scheduler_lock() -> str:
    return f"{PREFIX}:scheduler:lock"


def office_config(slug: str) -> str:
    """The office's TOML table as a manager last saved it (JSON); overrides config.toml."""
    return f"{office(slug)}:config"


def board_message(slug: str) -> str:
    """JSON {text, until_ms, by, event}: the manager's message the boards show now; no key
    when none is up (it expires a minute after `until_ms`)."""
    return f"{office(slug)}:board_message"
