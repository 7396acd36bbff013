"""The pages say the server's words from the catalogue: a refusal and an undo label in the page's language,
from the ACK's key and parameters; points written by static/js/format.js exactly as server/format.py does."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from server import i18n
from server.format import points, signed
from tests.browser.conftest import Studio, screenshot

PREFIX = {"vi": "Lỗi: ", "en": "Error: "}


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_a_refusal_and_the_undo_label_in_the_pages_language(studio: Studio, lang: str) -> None:
    page = await studio.control(size="tablet", lang=lang)
    await page.click("#start-show")
    await page.wait_for_selector("#rundown li.is-current")
    await page.select_option("#strap-who", "guest")
    await page.wait_for_selector("#strap-guest:not([hidden])")
    # A guest strap without a name: the server refuses with a key; the page says it in its language.
    revision = studio.service.revision
    await page.click("#strap-show")
    await page.wait_for_selector("#toast:not([hidden])")
    message = await page.text_content("#toast")
    assert message == PREFIX[lang] + i18n.render("rule.lower_third_for_whom", lang=lang), message
    assert studio.service.revision == revision
    await screenshot(page, f"catalogue-refusal-{lang}")
    # The undo button names the last action from its words, in the page's language too.
    await page.fill("#strap-name", "Trần Văn Nam")
    await page.click("#strap-show")
    label = i18n.render("audit.undo", lang=lang).split(":")[0]  # "hoàn tác" / "undo": the control's own word
    expected = i18n.render("audit.lower_third", {"name": "Trần Văn Nam"}, lang)
    await page.wait_for_function(f"document.querySelector('#undo-label').textContent.includes({json.dumps(expected)})")
    assert label  # both languages have the word
    assert page.errors == []


VALUES = [
    0,
    1,
    -1,
    0.5,
    -0.5,
    1.005,
    2.675,
    0.125,
    -0.125,
    0.005,
    -0.005,
    1234.5,
    -1234.5,
    999.995,
    1234567.891,
    14.333,
]
VALUES += ["12.345", "-7.25", "100000", "0.015", "1.115"]  # Decimals, as the scores are


async def test_format_js_and_server_format_agree_on_every_value(studio: Studio) -> None:
    page = await studio.open("/audience")
    cases = [(str(v), d, lang) for v in VALUES for d in (0, 1, 2, 3) for lang in ("vi", "en")]
    written = await page.evaluate(
        """async (cases) => {
            const f = await import("/static/js/format.js");
            return cases.map(([v, d, lang]) => [f.points(Number(v), d, lang), f.signed(Number(v), d, lang)]);
        }""",
        cases,
    )
    for (value, decimals, lang), (js_points, js_signed) in zip(cases, written, strict=True):
        number = Decimal(value)
        assert points(number, decimals, lang) == js_points, (value, decimals, lang)
        assert signed(number, decimals, lang) == js_signed, (value, decimals, lang)
