"""Render time and job size of a queue ticket: raster vs text mode, 58 vs 80 mm paper.

    .venv/bin/python bench/bench_print.py [--runs 200]

Times `render_document` from the job's JSON payload to the ESC/POS bytes, in one process,
after one warm-up render (which loads the fonts).
"""

from __future__ import annotations

import argparse
import statistics
import time

from printer.render import PrintOptions, render_document
from printer.samples import SAMPLE_TICKET

TICKET = {**SAMPLE_TICKET, "field": "Đăng ký khai sinh – Đất đai – Chứng thực"}
CASES = [
    ("raster", 80, "tcvn3"),
    ("raster", 58, "tcvn3"),
    ("text", 80, "tcvn3"),
    ("text", 58, "tcvn3"),
    ("text", 80, "cp1258"),
]


def measure(options: PrintOptions, runs: int) -> tuple[float, float, int]:
    """(median ms, p99 ms, job bytes)."""
    job = render_document("ticket", TICKET, options)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_document("ticket", TICKET, options)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99, len(job)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    print(f"ticket, {args.runs} runs each")
    print("| mode | paper | code page | median ms | p99 ms | bytes |")
    print("|---|---|---|---|---|---|")
    for mode, paper, codepage in CASES:
        options = PrintOptions.from_dict({"mode": mode, "paper_width": paper, "codepage": codepage})
        median, p99, size = measure(options, args.runs)
        page = codepage if mode == "text" else "-"
        print(f"| {mode} | {paper} mm | {page} | {median:.2f} | {p99:.2f} | {size:,} |")


if __name__ == "__main__":
    main()
