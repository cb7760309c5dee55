"""A ticket sent in raster mode to a (fake) network printer, decoded back into a picture."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from printer.connections import connection_from_url
from printer.render import PrintOptions, render_document
from printer.samples import SAMPLE_APOLOGY, SAMPLE_APPOINTMENT, SAMPLE_RESULT, SAMPLE_TICKET
from printer.worker import PrinterWorker
from tests.printer.escpos_stream import decode
from tests.printer.fakeprinter import FakePrinter

SNAPSHOTS = Path(__file__).parent / "snapshots"
TICKET = {**SAMPLE_TICKET, "field": "Đăng ký khai sinh – Đất đai – Chứng thực"}


def qr_texts(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


def black_ratio(image: Image.Image) -> float:
    histogram = image.convert("L").histogram()
    return histogram[0] / (image.width * image.height)


@pytest.mark.parametrize(("paper", "dots"), [(80, 576), (58, 384)])
async def test_ticket_reaches_network_printer_as_a_readable_image(
    fake_printer: FakePrinter, paper: int, dots: int
) -> None:
    job = render_document("ticket", TICKET, PrintOptions(paper_width=paper))
    worker = PrinterWorker(connection_from_url(fake_printer.url))

    status = await worker.print_async(job)

    assert status is not None and status.ready
    fake_printer.wait_idle()
    printed = decode(fake_printer.received)
    assert printed.inits == 1
    assert printed.cuts == [b"B\x00"]  # feed to the cutter, partial cut
    assert all(rows <= 128 for _, rows, _ in printed.bands)
    image = printed.image()
    assert image.width == dots
    assert 1.2 * dots < image.height < 3.5 * dots
    assert 0.05 < black_ratio(image) < 0.5
    assert qr_texts(image) == [TICKET["url"]]
    assert fake_printer.status_queries == 4


@pytest.mark.parametrize(
    ("kind", "sample"),
    [("appointment", SAMPLE_APPOINTMENT), ("result", SAMPLE_RESULT), ("apology", SAMPLE_APOLOGY)],
    ids=["appt", "result", "apology"],
)
@pytest.mark.parametrize("paper", [80, 58])
def test_slips_carry_their_qr_code(kind: str, sample: dict[str, object], paper: int) -> None:
    image = decode(render_document(kind, sample, PrintOptions(paper_width=paper))).image()

    assert qr_texts(image) == [sample["url"]]
    assert image.width == {80: 576, 58: 384}[paper]


def test_priority_mark_is_a_black_band() -> None:
    with_mark = decode(render_document("ticket", TICKET, PrintOptions())).image()
    without = decode(render_document("ticket", {**TICKET, "priority": None}, PrintOptions()))
    rows = [with_mark.crop((0, y, 576, y + 1)) for y in range(with_mark.height)]
    # The inverted priority line has rows that are black edge to edge.
    assert any(row.getpixel((0, 0)) == 0 and row.getpixel((575, 0)) == 0 for row in rows)
    assert without.image().height < with_mark.height


def test_ticket_snapshot() -> None:
    """The exact bytes of the reviewed ticket; SOTHUTU_UPDATE_SNAPSHOTS=1 rewrites them."""
    check_snapshot("ticket-80mm", render_document("ticket", TICKET, PrintOptions(paper_width=80)))


def test_apology_snapshot() -> None:
    """The reviewed apology slip, bilingual, on 80 mm paper."""
    job = render_document("apology", SAMPLE_APOLOGY, PrintOptions(paper_width=80))
    check_snapshot("apology-80mm", job)


def check_snapshot(name: str, job: bytes) -> None:
    digest = hashlib.sha256(job).hexdigest()
    sha_file, png_file = SNAPSHOTS / f"{name}.sha256", SNAPSHOTS / f"{name}.png"
    if os.environ.get("SOTHUTU_UPDATE_SNAPSHOTS") == "1":
        sha_file.write_text(digest + "\n")
        decode(job).image().save(png_file)
    expected = sha_file.read_text().strip()
    if digest != expected:
        reviewed = Image.open(png_file).convert("1")
        actual = decode(job).image()
        same_size = reviewed.size == actual.size
        changed = (
            sum(a != b for a, b in zip(reviewed.getdata(), actual.getdata(), strict=True))
            if same_size
            else "size differs"
        )
        pytest.fail(
            f"{name} bytes changed (sha256 {digest}); pixels changed: {changed}. Look at the "
            f"new picture, then rerun with SOTHUTU_UPDATE_SNAPSHOTS=1 if it is right."
        )
