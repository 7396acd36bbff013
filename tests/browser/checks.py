"""What a producer, a viewer or a director would notice on a page, measured in the browser:
controls out of reach, graphics over each other, names that overflow or break mid-word."""

from __future__ import annotations

from typing import Any

# Boxes of the elements matching each selector that are displayed, as {selector: [rect, ...]}.
_BOXES = """(selectors) => Object.fromEntries(selectors.map((s) => [s, [...document.querySelectorAll(s)]
  .filter((n) => n.getClientRects().length && getComputedStyle(n).visibility !== "hidden")
  .map((n) => { const r = n.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })]))"""

# Text boxes that overflow, or whose text breaks onto a new line anywhere but between words.
_MISFITS = """(selector) => {
  const out = [];
  for (const node of document.querySelectorAll(selector)) {
    if (!node.getClientRects().length || !node.textContent.trim()) continue;
    const label = node.textContent.trim().slice(0, 40);
    if (node.scrollWidth > node.clientWidth + 1 || node.scrollHeight > node.clientHeight + 1) {
      const size = `${node.scrollWidth}x${node.scrollHeight} in ${node.clientWidth}x${node.clientHeight}`;
      out.push(`${label}: overflows (${size})`);
      continue;
    }
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    let prev = null;  // [top, char] of the previous character
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const range = document.createRange();
      for (let i = 0; i < t.length; i++) {
        range.setStart(t, i);
        range.setEnd(t, i + 1);
        const rect = range.getBoundingClientRect();
        if (!rect.height) continue;
        const ch = t.data[i];
        if (prev && rect.top > prev[0] + rect.height / 2 && !/\\s/.test(prev[1]) && !/\\s/.test(ch)) {
          out.push(`${label}: breaks mid-word before '${t.data.slice(i, i + 8)}'`);
        }
        prev = [rect.top, ch];
      }
    }
  }
  return out;
}"""


def _intersect(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


async def out_of_reach(page: Any, selectors: list[str]) -> list[str]:
    """The selectors with no displayed element wholly inside the viewport, and a note if the page scrolls."""
    size = await page.evaluate("() => [innerWidth, innerHeight, document.scrollingElement.scrollHeight]")
    width, height, scroll = size
    found = await page.evaluate(_BOXES, selectors)
    missing = [
        s
        for s, boxes in found.items()
        if not any(b[0] >= -0.5 and b[1] >= -0.5 and b[2] <= width + 0.5 and b[3] <= height + 0.5 for b in boxes)
    ]
    if scroll > height + 1:
        missing.append(f"the page scrolls ({scroll} px in a {height} px window)")
    return missing


async def overlapping_layers(page: Any) -> list[tuple[str, str]]:
    """Pairs of on-air overlay layers in a program page whose drawn boxes overlap."""
    boxes = await page.evaluate(
        """() => [...document.querySelectorAll('.layer[data-on="1"]')].map((layer) => {
          const rects = [...layer.querySelectorAll("*")].map((n) => n.getBoundingClientRect())
            .filter((r) => r.width && r.height);
          if (!rects.length) return null;
          return [layer.dataset.layer, [Math.min(...rects.map((r) => r.left)), Math.min(...rects.map((r) => r.top)),
                  Math.max(...rects.map((r) => r.right)), Math.max(...rects.map((r) => r.bottom))]];
        }).filter(Boolean)"""
    )
    return [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if _intersect(a[1], b[1])]


async def misfits(page: Any, selector: str) -> list[str]:
    """Name boxes matching ``selector`` that overflow or break a word across lines."""
    return await page.evaluate(_MISFITS, selector)


async def texts(page: Any, selector: str, key: str) -> dict[str, str]:
    """``{element[data-<key>]: its text}`` for the displayed elements matching ``selector``."""
    return await page.evaluate(
        """([selector, key]) => Object.fromEntries([...document.querySelectorAll(selector)]
          .filter((n) => n.getClientRects().length)
          .map((n) => [n.closest(`[data-${key}]`)?.dataset[key], n.textContent.trim()]))""",
        [selector, key],
    )
