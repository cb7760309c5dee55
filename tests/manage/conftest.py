"""Console tests: httpx clients logged in through the real login form."""

from tests.browser.conftest import browser
from tests.support.console import (
    OFFICE,
    PASSWORD,
    Session,
    csrf_of,
    log_in,
    manager,
    staff_session,
)

# The console's fixtures (its browser tests' too) and the helpers its tests import from here.
__all__ = [
    "OFFICE",
    "PASSWORD",
    "Session",
    "browser",
    "csrf_of",
    "log_in",
    "manager",
    "staff_session",
]
