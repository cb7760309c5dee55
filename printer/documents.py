"""What is printed: a queue ticket, an appointment slip, a result-pickup slip, an apology
slip, as layouts.

Plain data in (`TicketPrint`, `SlipPrint`, `ApologyPrint`, or the JSON dict of a print job),
a `Layout` out; no rendering here. The appointment and result slips share one layout built
from label/value rows, so a new kind of slip is a new set of labels (or a JSON layout), not
new drawing code; the apology slip has its own, since it is a letter more than a form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from printer.errors import InvalidPrintData
from printer.layout import QR, BigNumber, Block, Columns, Layout, Rule, Spacer, Text

SlipKind = Literal["appointment", "result"]

PRIORITY_LABELS = {
    "elderly": "Người cao tuổi",
    "disabled": "Người khuyết tật",
    "pregnant": "Phụ nữ mang thai",
    "merit": "Người có công với cách mạng",
    "child": "Người đi cùng trẻ nhỏ",
}
_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
TICKET_FOOTER = "Vui lòng chú ý màn hình và loa gọi số. Xin cảm ơn!"


def format_when(moment: datetime) -> str:
    """'08:30, Thứ Năm 04/12/2025'."""
    return f"{moment:%H:%M}, {_WEEKDAYS[moment.weekday()]} {moment:%d/%m/%Y}"


def format_clock(moment: datetime) -> str:
    """'9:30', '14:05': a time of day as said and written in Vietnamese."""
    return f"{moment.hour}:{moment.minute:02d}"


def call_notice(call_at: datetime | None) -> str:
    """What an appointment ticket says about when it is called: at its time, or (its time
    has passed, or a result to collect) as soon as a counter is free."""
    if call_at is None:
        return "Số của bạn sẽ được gọi ngay khi có quầy rảnh."
    return f"Số của bạn sẽ được gọi lúc {format_clock(call_at)}."


def format_wait(minutes: int) -> str:
    """'khoảng 15 phút', 'khoảng 1 giờ 20 phút'; rounded to 5 minutes past the first 10."""
    if minutes <= 0:
        return "sắp đến lượt"
    if minutes > 10:
        minutes = (minutes + 4) // 5 * 5
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"khoảng {rest} phút"
    return f"khoảng {hours} giờ" + (f" {rest} phút" if rest else "")


@dataclass(frozen=True)
class TicketPrint:
    """A queue ticket as issued at the kiosk."""

    office: str
    number: str
    field: str
    issued_at: datetime
    people_ahead: int
    url: str
    wait_minutes: int | None = None
    priority: str | None = None
    subtitle: str = ""
    footer: str = TICKET_FOOTER
    # An appointment ticket: called at `call_at` when that is still ahead, else at the
    # first free counter; the queue figures of walk-ins do not apply to it.
    appointment: bool = False
    call_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TicketPrint:
        """From a print job's JSON payload; `issued_at` is an ISO 8601 string."""
        return cls(
            office=_str(data, "office"),
            number=_str(data, "number"),
            field=_str(data, "field"),
            issued_at=_datetime(data, "issued_at"),
            people_ahead=_int(data, "people_ahead"),
            url=_str(data, "url"),
            wait_minutes=_int(data, "wait_minutes")
            if data.get("wait_minutes") is not None
            else None,
            priority=_str(data, "priority") if data.get("priority") else None,
            subtitle=_str(data, "subtitle", ""),
            footer=_str(data, "footer", TICKET_FOOTER),
            appointment=bool(data.get("appointment")) or bool(data.get("call_at")),
            call_at=_datetime(data, "call_at") if data.get("call_at") else None,
        )


@dataclass(frozen=True)
class SlipPrint:
    """An appointment slip or a result-pickup slip (phiếu hẹn trả kết quả)."""

    kind: SlipKind
    office: str
    code: str
    citizen: str
    procedure: str
    when: datetime
    place: str
    url: str
    received_at: datetime | None = None
    staff: str = ""
    subtitle: str = ""
    notes: tuple[str, ...] = ()
    footer: str = ""

    @classmethod
    def from_dict(cls, kind: SlipKind, data: Mapping[str, Any]) -> SlipPrint:
        notes = data.get("notes", [])
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            raise InvalidPrintData("notes", "must be a list of strings")
        return cls(
            kind=kind,
            office=_str(data, "office"),
            code=_str(data, "code"),
            citizen=_str(data, "citizen"),
            procedure=_str(data, "procedure"),
            when=_datetime(data, "when"),
            place=_str(data, "place"),
            url=_str(data, "url"),
            received_at=_datetime(data, "received_at") if data.get("received_at") else None,
            staff=_str(data, "staff", ""),
            subtitle=_str(data, "subtitle", ""),
            notes=tuple(notes),
            footer=_str(data, "footer", ""),
        )


# Per kind: title, then labels of code, when, place.
_SLIP_LABELS: dict[SlipKind, tuple[str, str, str, str]] = {
    "appointment": ("PHIẾU HẸN", "Mã lịch hẹn", "Thời gian hẹn", "Địa điểm"),
    "result": ("PHIẾU HẸN TRẢ KẾT QUẢ", "Mã hồ sơ", "Ngày hẹn trả kết quả", "Nơi trả kết quả"),
}


def _header(office: str, subtitle: str) -> list[Block]:
    blocks: list[Block] = [Text(office, size="normal", bold=True)]
    if subtitle:
        blocks.append(Text(subtitle, size="small"))
    return [*blocks, Rule()]


def ticket_layout(ticket: TicketPrint) -> Layout:
    """Office, 'Số thứ tự', the number very large, field, priority, queue figures, QR."""
    blocks = _header(ticket.office, ticket.subtitle)
    blocks += [
        Text("SỐ THỨ TỰ", size="normal", bold=True),
        BigNumber(ticket.number),
        Text(f"Lĩnh vực: {ticket.field}", size="large", bold=True),
    ]
    if ticket.priority:
        label = PRIORITY_LABELS.get(ticket.priority, ticket.priority)
        blocks += [Spacer(0.3), Text(f"Ưu tiên: {label}", bold=True, invert=True)]
    if ticket.appointment:
        blocks += [Spacer(0.3), Text(call_notice(ticket.call_at), bold=True), Spacer(0.3)]
    else:
        blocks += [Spacer(0.5), Columns("Số người đang chờ", str(ticket.people_ahead))]
        if ticket.wait_minutes is not None:
            blocks.append(Columns("Thời gian chờ dự kiến", format_wait(ticket.wait_minutes)))
    blocks += [
        Columns("Lấy số lúc", f"{ticket.issued_at:%H:%M  %d/%m/%Y}"),
        Rule(dashed=True),
        QR(ticket.url, caption="Quét mã để xem lượt của bạn"),
    ]
    if ticket.footer:
        blocks.append(Text(ticket.footer, size="small"))
    return tuple(blocks)


def slip_layout(slip: SlipPrint) -> Layout:
    """Title, the code large, then who / what / when / where as label-value rows, QR."""
    title, code_label, when_label, place_label = _SLIP_LABELS[slip.kind]
    rows = [
        ("Họ và tên", slip.citizen),
        ("Thủ tục", slip.procedure),
        ("Ngày nhận hồ sơ", format_when(slip.received_at) if slip.received_at else ""),
        (when_label, format_when(slip.when)),
        (place_label, slip.place),
        ("Người tiếp nhận", slip.staff),
    ]
    blocks = _header(slip.office, slip.subtitle)
    blocks += [
        Text(title, size="large", bold=True),
        Text(f"{code_label}: {slip.code}", size="large", bold=True),
        Spacer(0.5),
    ]
    for label, value in rows:
        if value:
            blocks += [Text(f"{label}:", size="small", align="left")]
            blocks += [Text(value, bold=True, align="left")]
    if slip.notes:
        blocks.append(Spacer(0.3))
    blocks += [Text(note, size="small", align="left") for note in slip.notes]
    blocks += [Rule(dashed=True), QR(slip.url, caption=slip.code)]
    if slip.footer:
        blocks.append(Text(slip.footer, size="small"))
    return tuple(blocks)


@dataclass(frozen=True)
class ApologyPrint:
    """The apology slip (phiếu xin lỗi và hẹn lại ngày trả kết quả): the result of a dossier
    is not ready on the date promised; why, and the new date. After the form of the one-stop
    rules (Thông tư 01/2018/TT-VPCP, mẫu 04). `bilingual` adds English under the Vietnamese."""

    office: str
    code: str
    citizen: str
    procedure: str
    due: date  # the date promised before this slip
    when: datetime
    reason: str
    place: str
    url: str
    issued_at: datetime
    received_at: datetime | None = None
    staff: str = ""
    subtitle: str = ""
    bilingual: bool = False
    footer: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApologyPrint:
        bilingual = data.get("bilingual", False)
        if not isinstance(bilingual, bool):
            raise InvalidPrintData("bilingual", "must be true or false")
        return cls(
            office=_str(data, "office"),
            code=_str(data, "code"),
            citizen=_str(data, "citizen", ""),
            procedure=_str(data, "procedure"),
            due=_datetime(data, "due").date(),
            when=_datetime(data, "when"),
            reason=_str(data, "reason"),
            place=_str(data, "place"),
            url=_str(data, "url"),
            issued_at=_datetime(data, "issued_at"),
            received_at=_datetime(data, "received_at") if data.get("received_at") else None,
            staff=_str(data, "staff", ""),
            subtitle=_str(data, "subtitle", ""),
            bilingual=bilingual,
            footer=_str(data, "footer", ""),
        )


APOLOGY_VI = (
    "Cơ quan chúng tôi chân thành xin lỗi ông/bà vì hồ sơ chưa có kết quả đúng hẹn, "
    "và kính mong ông/bà thông cảm."
)
APOLOGY_EN = (
    "We sincerely apologise that the result of your application was not ready on the date "
    "we promised, and thank you for your understanding."
)
BRING_VI = "Khi đến nhận kết quả, xin mang theo phiếu này."
BRING_EN = "Please bring this slip when you collect the result."


def apology_layout(slip: ApologyPrint) -> Layout:
    """Title, the dossier code large, the apology, the dossier, the new date large, QR, and
    when the slip was made; with `bilingual`, English in small print under the Vietnamese."""

    def label(vi: str, en: str) -> str:
        return f"{vi} / {en}:" if slip.bilingual else f"{vi}:"

    def english(text: str, **kw: Any) -> list[Block]:
        return [Text(text, size="small", **kw)] if slip.bilingual else []

    blocks = _header(slip.office, slip.subtitle)
    blocks += [
        Text("PHIẾU XIN LỖI", size="large", bold=True),
        Text("VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", bold=True),
        *english("APOLOGY AND NEW DATE FOR YOUR RESULT"),
        Spacer(0.3),
        Text(label("Mã hồ sơ", "Application no."), size="small"),
        BigNumber(slip.code),  # as large as the paper allows, on one line
        Spacer(0.5),
    ]
    if slip.citizen:
        blocks.append(Text(f"Kính gửi ông/bà {slip.citizen},", bold=True, align="left"))
        blocks += english(f"Dear {slip.citizen},", align="left")
    blocks.append(Text(APOLOGY_VI, align="left"))
    blocks += english(APOLOGY_EN, align="left")
    rows = [
        (label("Thủ tục", "Procedure"), slip.procedure),
        (
            label("Ngày nhận hồ sơ", "Received on"),
            format_when(slip.received_at) if slip.received_at else "",
        ),
        (label("Ngày hẹn trước đây", "Promised before for"), f"{slip.due:%d/%m/%Y}"),
        (label("Lý do chậm trả", "Reason for the delay"), slip.reason),
    ]
    blocks.append(Spacer(0.3))
    for name, value in rows:
        if value:
            blocks += [Text(name, size="small", align="left"), Text(value, align="left")]
    blocks += [
        Spacer(0.3),
        Rule(),
        Text(label("Ngày hẹn trả kết quả mới", "New result date"), size="small"),
        Text(format_when(slip.when), size="large", bold=True),
        Text(label("Nơi trả kết quả", "Where to collect it"), size="small"),
        Text(slip.place, bold=True),
        Rule(),
        Text(BRING_VI, size="small", align="left"),
        *english(BRING_EN, align="left"),
        Rule(dashed=True),
        QR(slip.url, caption=slip.code),
        Columns(label("Lập phiếu lúc", "Issued"), f"{slip.issued_at:%H:%M  %d/%m/%Y}", "small"),
    ]
    if slip.staff:
        blocks.append(Columns(label("Người lập phiếu", "Issued by"), slip.staff, "small"))
    if slip.footer:
        blocks.append(Text(slip.footer, size="small"))
    return tuple(blocks)


def _str(data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise InvalidPrintData(key, "is required")
    if not isinstance(value, str):
        raise InvalidPrintData(key, "must be a string")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    # JSON has one number type: 3.0 is a whole number too (JSON Schema's "integer" says so).
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidPrintData(key, "must be a whole number, 0 or more")
    return value


def _datetime(data: Mapping[str, Any], key: str) -> datetime:
    value = _str(data, key)
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidPrintData(key, "must be an ISO 8601 date and time") from exc
