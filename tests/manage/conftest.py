"""Console tests: httpx clients logged in through the real login form."""

from tests.browser.conftest import browser  # noqa: F401  (the console's browser tests)
from tests.support.console import (  # noqa: F401  (fixtures and helpers of these tests)
    OFFICE,
    PASSWORD,
    Session,
    csrf_of,
    log_in,
    manager,
    staff_session,
)
