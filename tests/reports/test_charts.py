"""The SVG charts: well-formed, one mark per value, text escaped, gaps for missing days."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from queue_server.web.manage import charts

NS = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    # str() first: Markup.replace would escape the inserted text.
    text = str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ET.fromstring(text)


def test_bar_chart_has_a_bar_per_value_and_readable_labels() -> None:
    labels = [f"{d:02d}/11" for d in range(1, 31)]
    svg = _parse(charts.bar_chart(labels, [("Số phát", list(range(30)), "ch-s1"),
                                           ("<b>", [5] * 30, "ch-s2")], "Số phát"))  # fmt: skip
    bars = [r for r in svg.iter(f"{NS}rect") if r.get("class") in ("ch-s1", "ch-s2")]
    assert len(bars) == 60 + 2  # and the two legend keys
    shown = [t.text for t in svg.iter(f"{NS}text") if t.get("class") == "ch-x"]
    assert shown[0] == "01/11" and 8 <= len(shown) <= 12  # thinned so they never overlap
    assert "<b>" in [t.text for t in svg.iter(f"{NS}text")]  # escaped, shown as text
    tallest = max(float(r.get("height", 0)) for r in bars)
    assert tallest == max(float(r.get("height", 0)) for r in bars if r.get("class") == "ch-s1")


def test_line_chart_breaks_at_missing_values() -> None:
    series = [("Chờ", [1.0, 2.0, None, 4.0, 5.0], "ch-s1")]
    svg = _parse(charts.line_chart(["a", "b", "c", "d", "e"], series, "Chờ"))
    lines = list(svg.iter(f"{NS}polyline"))
    assert [len(x.get("points", "").split()) for x in lines] == [2, 2]
    assert len(list(svg.iter(f"{NS}circle"))) == 4


def test_heatmap_and_hbars() -> None:
    grid = [[0] * 24 for _ in range(7)]
    grid[0][9] = 40
    grid[4][14] = 10
    svg = _parse(charts.heatmap(grid, [str(i) for i in range(7)], range(6, 19), "Giờ"))
    cells = {r.get("class") for r in svg.iter(f"{NS}rect")}
    assert "ch-heat5" in cells and "ch-heat0" in cells
    hot = [r for r in svg.iter(f"{NS}rect") if r.get("class") == "ch-heat5"]
    assert len(hot) == 1 and "0 9h: 40" in (hot[0].findtext(f"{NS}title") or "")
    bars = _parse(charts.hbars([("Rất hài lòng", 3, "ch-rate1"), ("Hài lòng", 1, "ch-rate2")], "x"))
    assert [t.text for t in bars.iter(f"{NS}text") if t.get("class") == "ch-val"] == [
        "3 (75%)",
        "1 (25%)",
    ]
