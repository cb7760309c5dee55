"""axe-core's WCAG 2.2 AA rules run inside a page under test. scripts/install fetches axe-core
from the npm registry at a pinned version and integrity into .cache/; the test injects the file
into the page, so nothing is loaded from the network."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page

from tests.support.server import ROOT

AXE = ROOT / ".cache" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA; wcag22a does not exist as a tag (2.2 added no
# level A rule that axe checks).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
  }));
}"""


_SETTLED = """() => document.getAnimations().every(
  (a) => a.playState !== "running" || a.effect.getComputedTiming().iterations === Infinity)"""


def _reason(text: str) -> str:
    # failureSummary starts with "Fix any of the following:", then one line per way to pass;
    # the first line says what is wrong (for colour contrast: the colours and the ratio).
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[1:] or lines or [""])[0]


async def violations(page: Page) -> list[str]:
    """The page's WCAG A/AA violations as it is now, one line per failing element."""
    if not AXE.exists():
        pytest.fail(
            f"{AXE.relative_to(ROOT)} is missing: run SOTHUTU_BROWSER=1 scripts/install "
            "(scripts/test does), which fetches axe-core with npm"
        )
    # Colours are judged as they rest, not halfway through a transition or a few pulses (a
    # board's call); endless animations (a spinner) are taken as they are.
    await page.wait_for_function(_SETTLED)
    if not await page.evaluate("() => typeof axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(_RUN, TAGS)
    return [
        f"{v['id']} ({v['impact']}) at {node['target']}: {v['help']}. {_reason(node['summary'])}"
        for v in found
        for node in v["nodes"]
    ]


async def assert_accessible(page: Page, what: str) -> None:
    """Fails with every violation on the page, each with its rule, impact, element and reason."""
    found = await violations(page)
    assert not found, f"axe-core on {what} ({page.url}):\n  " + "\n  ".join(found)
