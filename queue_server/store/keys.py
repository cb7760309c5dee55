"""Every Redis key name of sothutu, in one place.

All keys of one office share the hash tag ``{slug}``, so each office's Lua scripts touch a
single Redis Cluster slot. Users, device tokens and sessions are deployment-wide.
"""

from __future__ import annotations

PREFIX = "sq"


def office(slug: str) -> str:
    return f"{PREFIX}:{{{slug}}}"


def ticket(slug: str, token: str) -> str:
    return f"{office(slug)}:t:{token}"


def queue(slug: str, lane: str, klass: str) -> str:
    """Waiting tickets of one lane (a field code, or ``@N`` for counter N) and class."""
    return f"{office(slug)}:q:{lane}:{klass}"


def counter_lane(number: int) -> str:
    return f"@{number}"


def sequence(slug: str, day: str, field: str) -> str:
    return f"{office(slug)}:n:{day}:{field}"


def counter(slug: str, number: int) -> str:
    return f"{office(slug)}:c:{number}"


def open_counters(slug: str, field: str) -> str:
    """Set of counter numbers that are open and serve the field."""
    return f"{office(slug)}:open:{field}"


def events(slug: str) -> str:
    return f"{office(slug)}:events"


def idempotency(slug: str, key: str) -> str:
    return f"{office(slug)}:idem:{key}"


def service_times(slug: str, field: str) -> str:
    return f"{office(slug)}:svc:{field}"


def current_day(slug: str) -> str:
    return f"{office(slug)}:day"


def day_tickets(slug: str, day: str) -> str:
    return f"{office(slug)}:tickets:{day}"


def recent_calls(slug: str) -> str:
    return f"{office(slug)}:calls"


def user(name: str) -> str:
    return f"{PREFIX}:user:{name}"


def users() -> str:
    return f"{PREFIX}:users"


def token(digest: str) -> str:
    return f"{PREFIX}:token:{digest}"


def device(name: str) -> str:
    return f"{PREFIX}:device:{name}"


def devices() -> str:
    return f"{PREFIX}:devices"
