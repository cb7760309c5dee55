"""Example print jobs: the kiosk's test print, the docs' pictures, tests and the benchmark."""

from __future__ import annotations

from typing import Any

SAMPLE_TICKET: dict[str, Any] = {
    "office": "UBND PHƯỜNG HOÀN KIẾM",
    "subtitle": "Trung tâm Phục vụ hành chính công",
    "number": "A012",
    "field": "Đăng ký khai sinh – Đất đai – Chứng thực",
    "issued_at": "2025-11-12T08:42:00+07:00",
    "people_ahead": 7,
    "wait_minutes": 23,
    "priority": "elderly",
    "url": "https://hoankiem.sothutu.vn/t/HK-A012-8F3Q",
}

SAMPLE_APPOINTMENT: dict[str, Any] = {
    "office": "UBND PHƯỜNG HOÀN KIẾM",
    "subtitle": "Trung tâm Phục vụ hành chính công",
    "code": "LH-251204-0031",
    "citizen": "Nguyễn Thị Thu Hằng",
    "procedure": "Đăng ký kết hôn",
    "when": "2025-12-04T08:30:00+07:00",
    "place": "Quầy số 3 – Tầng 1, số 126 phố Hàng Trống",
    "url": "https://hoankiem.sothutu.vn/a/LH-251204-0031",
    "notes": ["Vui lòng mang theo CCCD và đến trước giờ hẹn 10 phút."],
}

SAMPLE_RESULT: dict[str, Any] = {
    "office": "UBND PHƯỜNG HOÀN KIẾM",
    "subtitle": "Trung tâm Phục vụ hành chính công",
    "code": "H26.13-251112-0457",
    "citizen": "Trần Văn Đức",
    "procedure": "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
    "received_at": "2025-11-12T09:15:00+07:00",
    "when": "2025-12-11T14:00:00+07:00",
    "place": "Quầy trả kết quả số 5",
    "staff": "Lê Minh Ngọc",
    "url": "https://hoankiem.sothutu.vn/h/H26.13-251112-0457",
    "notes": [
        "Khi đến nhận kết quả, mang theo phiếu này và CCCD.",
        "Tra cứu tình trạng hồ sơ bằng mã QR dưới đây.",
    ],
    "footer": "Hotline: 024 3825 0000",
}

SAMPLE_APOLOGY: dict[str, Any] = {
    "office": "UBND PHƯỜNG HOÀN KIẾM",
    "subtitle": "Trung tâm Phục vụ hành chính công",
    "code": "H26.13-251112-0457",
    "citizen": "Trần Văn Đức",
    "procedure": "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
    "received_at": "2025-11-12T09:15:00+07:00",
    "due": "2025-12-11",
    "reason": "Chờ kết quả đo đạc, xác minh ranh giới thửa đất",
    "when": "2025-12-18T14:00:00+07:00",
    "place": "Quầy trả kết quả số 5",
    "url": "https://hoankiem.sothutu.vn/h/H26.13-251112-0457",
    "issued_at": "2025-12-10T16:05:00+07:00",
    "staff": "Lê Minh Ngọc",
    "bilingual": True,
    "footer": "Hotline: 024 3825 0000",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "ticket": SAMPLE_TICKET,
    "appointment": SAMPLE_APPOINTMENT,
    "result": SAMPLE_RESULT,
    "apology": SAMPLE_APOLOGY,
}
