from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.printer.fakeprinter import FakePrinter


@pytest.fixture
def fake_printer() -> Iterator[FakePrinter]:
    printer = FakePrinter()
    yield printer
    printer.close()
