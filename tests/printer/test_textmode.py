"""A ticket in text mode: the lines a printer with a Vietnamese code page would print."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from printer.render import PrintOptions, render_document
from printer.samples import SAMPLE_APOLOGY, SAMPLE_RESULT, SAMPLE_TICKET
from tests.printer.escpos_stream import decode

TICKET = {**SAMPLE_TICKET, "field": "Đăng ký khai sinh – Đất đai – Chứng thực"}
SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("codepage", ["tcvn3", "cp1258"])
@pytest.mark.parametrize(("paper", "cols"), [(80, 48), (58, 32)])
def test_ticket_text_mode_lines(codepage: str, paper: int, cols: int) -> None:
    options = PrintOptions.from_dict({"paper_width": paper, "mode": "text", "codepage": codepage})
    printed = decode(render_document("ticket", TICKET, options))

    assert printed.inits == 1 and printed.cuts == [b"B\x00"] and not printed.bands
    text = "\n".join(printed.lines)
    assert "UBND PHƯỜNG HOÀN KIẾM" in text
    assert "A012" in printed.lines
    dash = "–" if codepage == "cp1258" else "-"
    assert f"Đăng ký khai sinh {dash} Đất đai {dash}" in text.replace("\n", " ")
    assert " Ưu tiên: Người cao tuổi " in printed.lines
    assert any(
        line.startswith("Số người đang chờ") and line.endswith(" 7") for line in printed.lines
    )
    assert "khoảng 25 phút" in text
    assert printed.qr_data == [TICKET["url"]]
    # Rules span the line; nothing normal-size is wider than the paper.
    assert "-" * cols in printed.lines


def test_tcvn3_ticket_switches_pages_for_capitals() -> None:
    printed = decode(render_document("ticket", TICKET, PrintOptions(mode="text")))
    assert printed.pages[0] == 30 and 31 in printed.pages


def test_clone_code_page_number_is_used() -> None:
    options = PrintOptions(mode="text", codepage="cp1258", codepage_numbers=(27,))
    stream = render_document("result", SAMPLE_RESULT, options)
    printed = decode(stream, cp1258_page=27)
    assert printed.pages == [27]
    assert "Trần Văn Đức" in printed.lines


def test_text_mode_is_far_smaller_than_raster() -> None:
    raster = render_document("ticket", TICKET, PrintOptions())
    text = render_document("ticket", TICKET, PrintOptions(mode="text"))
    assert len(text) * 20 < len(raster)


@pytest.mark.parametrize("codepage", ["tcvn3", "cp1258"])
@pytest.mark.parametrize(("paper", "cols"), [(80, 48), (58, 32)])
@pytest.mark.parametrize("bilingual", [True, False])
def test_apology_text_mode_lines(codepage: str, paper: int, cols: int, bilingual: bool) -> None:
    options = PrintOptions.from_dict({"paper_width": paper, "mode": "text", "codepage": codepage})
    data = {**SAMPLE_APOLOGY, "bilingual": bilingual}
    printed = decode(render_document("apology", data, options))

    assert printed.inits == 1 and printed.cuts == [b"B\x00"] and not printed.bands
    # The title and the code each on one line, in bold.
    assert {"PHIẾU XIN LỖI", "VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "H26.13-251112-0457"} <= set(
        printed.bold_lines
    )
    assert "Kính gửi ông/bà Trần Văn Đức," in printed.lines
    text = " ".join(printed.lines)
    assert "xin lỗi ông/bà vì hồ sơ chưa có kết quả đúng hẹn" in text
    assert "Chờ kết quả đo đạc, xác minh ranh giới thửa đất" in text
    assert "14:00, Thứ Năm" in printed.lines and "11/12/2025" in printed.lines
    assert ("We sincerely apologise" in text) is bilingual
    assert ("Lý do chậm trả / Reason for the delay:" in printed.lines) is bilingual
    assert printed.qr_data == [SAMPLE_APOLOGY["url"]]
    assert "-" * cols in printed.lines


def test_apology_text_snapshot() -> None:
    """What a 58 mm printer with TCVN-3 prints, line by line (reviewed); rewritten by
    SOTHUTU_UPDATE_SNAPSHOTS=1."""
    options = PrintOptions(paper_width=58, mode="text")
    printed = decode(render_document("apology", SAMPLE_APOLOGY, options))
    got = "\n".join(printed.lines) + "\n"
    path = SNAPSHOTS / "apology-58mm-text.txt"
    if os.environ.get("SOTHUTU_UPDATE_SNAPSHOTS") == "1":
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
