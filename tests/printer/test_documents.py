"""Job payloads to layouts: labels, validation, JSON layouts."""

from __future__ import annotations

from typing import Any

import pytest

from printer.documents import format_wait, format_when
from printer.errors import InvalidPrintData
from printer.layout import QR, BigNumber, Columns, Rule, Spacer, Text, layout_to_json
from printer.render import PrintOptions, document_layout, render_document
from printer.samples import SAMPLE_APOLOGY, SAMPLE_APPOINTMENT, SAMPLE_RESULT, SAMPLE_TICKET
from tests.printer.escpos_stream import decode


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "sắp đến lượt"),
        (4, "khoảng 4 phút"),
        (10, "khoảng 10 phút"),
        (23, "khoảng 25 phút"),
        (60, "khoảng 1 giờ"),
        (78, "khoảng 1 giờ 20 phút"),
        (125, "khoảng 2 giờ 5 phút"),
    ],
)
def test_format_wait(minutes: int, text: str) -> None:
    assert format_wait(minutes) == text


def test_format_when_has_vietnamese_weekday() -> None:
    from datetime import datetime

    assert format_when(datetime(2025, 12, 7, 7, 30)) == "07:30, Chủ nhật 07/12/2025"
    assert format_when(datetime(2025, 12, 4, 14, 0)) == "14:00, Thứ Năm 04/12/2025"


def test_ticket_layout_has_the_labels() -> None:
    layout = document_layout("ticket", SAMPLE_TICKET)
    texts = [b.text for b in layout if isinstance(b, Text)]
    assert "SỐ THỨ TỰ" in texts
    assert f"Lĩnh vực: {SAMPLE_TICKET['field']}" in texts
    assert "Ưu tiên: Người cao tuổi" in texts
    assert BigNumber("A012") in layout
    assert Columns("Số người đang chờ", "7") in layout
    assert Columns("Thời gian chờ dự kiến", "khoảng 25 phút") in layout
    assert QR(SAMPLE_TICKET["url"], "Quét mã để xem lượt của bạn") in layout


def test_ticket_without_wait_or_priority() -> None:
    data = {**SAMPLE_TICKET, "wait_minutes": None, "priority": "Thương binh"}
    layout = document_layout("ticket", data)
    assert not any(isinstance(b, Columns) and b.left.startswith("Thời gian") for b in layout)
    assert Text("Ưu tiên: Thương binh", bold=True, invert=True) in layout


@pytest.mark.parametrize(
    ("extra", "notice"),
    [
        ({"call_at": "2026-11-26T09:30:00+07:00"}, "Số của bạn sẽ được gọi lúc 9:30."),
        ({"call_at": "2026-11-26T14:05:00"}, "Số của bạn sẽ được gọi lúc 14:05."),
        ({"appointment": True}, "Số của bạn sẽ được gọi ngay khi có quầy rảnh."),
    ],
)
def test_appointment_ticket_says_when_it_is_called(extra: dict[str, Any], notice: str) -> None:
    data = {**SAMPLE_TICKET, "priority": None, **extra}
    layout = document_layout("ticket", data)
    assert Text(notice, bold=True) in layout
    # The walk-in queue figures would mislead: it is called by its time, not its turn.
    assert not any(isinstance(b, Columns) and b.left.startswith("Số người") for b in layout)
    assert QR(SAMPLE_TICKET["url"], "Quét mã để xem lượt của bạn") in layout


@pytest.mark.parametrize(
    ("kind", "sample", "title", "labels"),
    [
        ("appointment", SAMPLE_APPOINTMENT, "PHIẾU HẸN", ["Thời gian hẹn:", "Địa điểm:"]),
        ("result", SAMPLE_RESULT, "PHIẾU HẸN TRẢ KẾT QUẢ", ["Ngày hẹn trả kết quả:"]),
    ],
)
def test_slip_layouts(kind: str, sample: dict[str, Any], title: str, labels: list[str]) -> None:
    texts = [b.text for b in document_layout(kind, sample) if isinstance(b, Text)]
    assert texts[2] == title
    for label in ["Họ và tên:", "Thủ tục:", *labels]:
        assert label in texts
    assert sample["citizen"] in texts


def test_apology_slip_has_its_own_title_and_the_new_date() -> None:
    layout = document_layout("apology", {**SAMPLE_APOLOGY, "bilingual": False})
    texts = [b.text for b in layout if isinstance(b, Text)]
    assert texts[2:4] == ["PHIẾU XIN LỖI", "VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"]
    assert Text("PHIẾU XIN LỖI", size="large", bold=True) in layout
    assert BigNumber("H26.13-251112-0457") in layout
    assert "Kính gửi ông/bà Trần Văn Đức," in texts
    assert any(t.startswith("Cơ quan chúng tôi chân thành xin lỗi ông/bà") for t in texts)
    for label, value in [
        ("Ngày nhận hồ sơ:", "09:15, Thứ Tư 12/11/2025"),
        ("Ngày hẹn trước đây:", "11/12/2025"),
        ("Lý do chậm trả:", "Chờ kết quả đo đạc, xác minh ranh giới thửa đất"),
        ("Ngày hẹn trả kết quả mới:", "14:00, Thứ Năm 18/12/2025"),
        ("Nơi trả kết quả:", "Quầy trả kết quả số 5"),
    ]:
        assert texts[texts.index(label) + 1] == value
    assert Text("14:00, Thứ Năm 18/12/2025", size="large", bold=True) in layout
    assert Columns("Lập phiếu lúc:", "16:05  10/12/2025", "small") in layout
    assert Columns("Người lập phiếu:", "Lê Minh Ngọc", "small") in layout
    assert QR(SAMPLE_APOLOGY["url"], "H26.13-251112-0457") in layout
    assert not any(" / " in t or "apologise" in t for t in texts)  # no English


def test_bilingual_apology_slip_adds_english() -> None:
    vi = [b.text for b in document_layout("apology", {**SAMPLE_APOLOGY, "bilingual": False})
          if isinstance(b, Text)]  # fmt: skip
    both = [b.text for b in document_layout("apology", SAMPLE_APOLOGY) if isinstance(b, Text)]
    assert "APOLOGY AND NEW DATE FOR YOUR RESULT" in both and "Dear Trần Văn Đức," in both
    assert any(t.startswith("We sincerely apologise") for t in both)
    assert "Ngày hẹn trả kết quả mới / New result date:" in both
    assert "Lý do chậm trả / Reason for the delay:" in both
    # English is added to the Vietnamese, which stays whole: texts, and labels "Nhãn / Label:".
    for text in vi:
        assert text in both or any(b.startswith(f"{text[:-1]} / ") for b in both), text


def test_apology_without_name_or_receipt_date() -> None:
    data = {**SAMPLE_APOLOGY, "citizen": "", "received_at": None, "staff": ""}
    texts = [b.text for b in document_layout("apology", data) if isinstance(b, Text)]
    assert not any(t.startswith("Kính gửi") for t in texts)
    assert not any(t.startswith("Ngày nhận hồ sơ") for t in texts)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"due": "sắp tới"}, "due"),
        ({"reason": None}, "reason"),
        ({"issued_at": None}, "issued_at"),
        ({"bilingual": "yes"}, "bilingual"),
        ({"when": 5}, "when"),
    ],
)
def test_bad_apology_data_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPrintData) as info:
        render_document("apology", {**SAMPLE_APOLOGY, **change}, PrintOptions())
    assert info.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": None}, "number"),
        ({"people_ahead": -1}, "people_ahead"),
        ({"people_ahead": "7"}, "people_ahead"),
        ({"issued_at": "hôm nay"}, "issued_at"),
        ({"url": 5}, "url"),
    ],
)
def test_bad_ticket_data_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPrintData) as info:
        render_document("ticket", {**SAMPLE_TICKET, **change}, PrintOptions())
    assert info.value.field == field


def test_json_layout_is_printable_as_is() -> None:
    blocks = (
        Text("Phiếu xin lỗi", size="xlarge", bold=True),
        Rule(dashed=True),
        Columns("Mã hồ sơ", "H26-0457", size="small"),
        Spacer(2),
        QR("https://example.vn/x", caption="x"),
        BigNumber("B7"),
    )
    data = {"blocks": layout_to_json(blocks)}
    assert document_layout("layout", data) == blocks
    printed = decode(render_document("layout", data, PrintOptions(mode="text")))
    assert "Phiếu xin lỗi" in printed.lines and printed.qr_data == ["https://example.vn/x"]


@pytest.mark.parametrize(
    ("blocks", "field"),
    [
        ([{"type": "picture"}], "layout[0].type"),
        ([{"type": "text", "text": "x", "size": "huge"}], "layout[0].size"),
        ([{"type": "rule"}, {"type": "text", "text": "x", "colour": "red"}], "layout[1].colour"),
        ([{"type": "text", "text": 5}], "layout[0].text"),
        ([{"type": "text"}], "layout[0]"),
    ],
)
def test_bad_json_layout(blocks: list[dict[str, Any]], field: str) -> None:
    with pytest.raises(InvalidPrintData) as info:
        document_layout("layout", {"blocks": blocks})
    assert info.value.field == field


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"paper_width": 76}, "paper_width"),
        ({"mode": "pdf"}, "mode"),
        ({"codepage": "viscii"}, "codepage"),
        ({"codepage_numbers": [30]}, "codepage_numbers"),
        ({"cutter": True}, "cutter"),
    ],
)
def test_bad_printer_options(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPrintData) as info:
        PrintOptions.from_dict(options)
    assert info.value.field == field


def test_unknown_document_kind() -> None:
    with pytest.raises(InvalidPrintData, match="kind"):
        document_layout("receipt", {})
