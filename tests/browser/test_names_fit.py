"""Names fit their boxes and scores read the same everywhere, in headless Chromium.

The Quảng Nam qualifier is played with its own teams (short names in the config) and again with
long names and no short names ("Đội Huyện Nam Trà My", "Đội Thành phố Tam Kỳ" and a 60-character
name). At scores 0, then 59.2, then 214.53, every name on the scoreboard, judges, winner and lower
third (and the buzz order and season previews) stays inside its box, breaks only between words,
keeps its line break while the score widens, and the leader's crown never touches the text. The
same score is written the same way on the overlay, the team pad and the judge pad, in both languages.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from server.core import commands as c
from server.format import points
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_overlays import make_studio

LONG = "Đội tuyển Trường Trung học phổ thông chuyên Lê Thánh Tông An"  # 60 characters
LONG_NAMES = {  # no short names: the names themselves must fit, on two lines or cut at a word
    '    name: "Đội Thành phố Tam Kỳ"\n    short_name: "Tam Kỳ"\n': '    name: "Đội Thành phố Tam Kỳ"\n',
    '    name: "Đội Thị xã Điện Bàn"\n    short_name: "Điện Bàn"\n': f'    name: "{LONG}"\n',
    '    name: "Đội Huyện Nam Trà My"\n    short_name: "Nam Trà My"\n': '    name: "Đội Huyện Nam Trà My"\n',
}
TEAMS = ("tam-ky", "dien-ban", "nam-tra-my")
STEPS = (  # each team's score: all level, then a leader, then the widest scores of the show
    {"tam-ky": Decimal(0), "dien-ban": Decimal(0), "nam-tra-my": Decimal(0)},
    {"tam-ky": Decimal("59.2"), "dien-ban": Decimal(0), "nam-tra-my": Decimal("14.33")},
    {"tam-ky": Decimal("214.53"), "dien-ban": Decimal("164.2"), "nam-tra-my": Decimal("59.2")},
)
LIVE_LAYERS = ("scoreboard", "judges", "winner", "lower_third")
PREVIEW_LAYERS = ("buzzer", "standings", "bracket")
FULL = {"width": 1920, "height": 1080}

# Every displayed name box: does it overflow, where do its lines break, and is any break inside a word?
NAMES = """() => [...document.querySelectorAll(".name-fit")].filter((n) => n.getClientRects().length).map((n, i) => {
  const layer = n.closest("[data-layer]");
  const lines = [], range = document.createRange();
  let top = null, midWord = [];
  const chars = [];
  for (const node of n.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    for (let k = 0; k < node.data.length; k++) {
      range.setStart(node, k); range.setEnd(node, k + 1);
      const rects = range.getClientRects();
      chars.push({ ch: node.data[k], top: rects.length ? Math.round(rects[0].top) : null });
    }
  }
  for (let k = 0; k < chars.length; k++) {
    const { ch, top: t } = chars[k];
    if (t === null) continue;
    if (top === null || Math.abs(t - top) > 2) { lines.push(""); top = t; }
    lines[lines.length - 1] += ch;
    // Two letters side by side in the text but on different lines: a word was broken.
    const next = chars[k + 1];
    if (next && ch !== " " && next.ch !== " " && next.top !== null && Math.abs(next.top - t) > 2) midWord.push(k);
  }
  return {
    where: `${layer ? layer.dataset.layer : "page"} ${n.className} #${i} ${n.closest("[data-key]")?.dataset.key ?? ""}`,
    key: n.closest("[data-key]")?.dataset.key ?? String(i),
    text: n.textContent, full: n.dataset.full, lines: lines.map((l) => l.trim()), size: getComputedStyle(n).fontSize,
    // Height: a box at a fractional position may snap a pixel short of its own line; width is strict.
    overflow: n.scrollWidth > n.clientWidth || n.scrollHeight > n.clientHeight + 1,
    box: [n.scrollWidth, n.scrollHeight, n.clientWidth, n.clientHeight], midWord,
  };
})"""

# The scoreboard's cards: the name's lines, the score shown, the crown's box against the texts'.
CARDS = """() => [...document.querySelectorAll(".team-card")].map((card) => {
  const r = (n) => n.getBoundingClientRect();
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const name = card.querySelector(".team-name"), score = card.querySelector(".team-score");
  const crown = card.querySelector(".crown");
  const text = document.createRange();
  text.selectNodeContents(name);
  return {
    team: card.dataset.key, score: score.textContent, leader: card.classList.contains("leader"),
    crownVisible: getComputedStyle(crown).opacity === "1",
    crownOnName: hit(r(crown), text.getBoundingClientRect()) || hit(r(crown), r(name)),
    crownOnScore: hit(r(crown), r(score)),
    nameBox: [r(name).left, r(name).width].map(Math.round),
  };
})"""

SETTLED = """async () => {
  await document.fonts.ready;
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const moving = () => document.getAnimations().some((a) => a.playState === "running"
    && a.effect && a.effect.getComputedTiming().iterations !== Infinity);
  let calm = 0;
  for (let i = 0; i < 600 && calm < 4; i++) { await frame(); calm = moving() ? 0 : calm + 1; }
  return calm >= 4;
}"""


def set_scores(service, targets: dict[str, Decimal]) -> None:
    """Adjust every team's score to its target (by hand, with a reason, as a producer would)."""
    for team, target in targets.items():
        now = service.state.board.scores.get(team, Decimal(0))
        if target != now:
            service.submit(c.AdjustScore(team=team, points=target - now, reason="Kiểm tra hiển thị"))


async def settle(page, want: str | None = None) -> None:
    if want is not None:  # the view reached the page
        await page.wait_for_function(
            "(want) => [...document.querySelectorAll('.team-score, #score, .card-score')]"
            ".some((n) => n.textContent.includes(want))",
            arg=want,
            polling=50,
            timeout=10_000,
        )
    assert await page.evaluate(SETTLED)


def fit_faults(boxes: list[dict[str, Any]], where: str) -> list[str]:
    faults = []
    for b in boxes:
        if b["overflow"]:
            faults.append(f"{where}: {b['where']} overflows {b['box']} at {b['size']}: {b['text']!r}")
        if b["midWord"]:
            faults.append(f"{where}: {b['where']} breaks inside a word: {b['lines']}")
        if len(b["lines"]) > 2:
            faults.append(f"{where}: {b['where']} takes {len(b['lines'])} lines: {b['lines']}")
    return faults


async def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"names-{name}.png"))


@pytest.mark.parametrize("names", ["quang-nam", "long"])
async def test_names_fit_and_scores_read_the_same(aiohttp_server, browser, tmp_path: Path, names: str) -> None:
    studio = await make_studio(aiohttp_server, browser, tmp_path, LONG_NAMES if names == "long" else None)
    service = studio.service
    config = service.config
    assert config.decimals == 2
    service.submit(c.StartShow())
    service.submit(c.ShowLowerThird(team="nam-tra-my"))
    # The greeting round, judged: one team's scores revealed, so the judges' panel names it.
    criteria = [cr.id for cr in config.segment("chao-hoi").scoring.criteria]
    for judge in config.judge_ids:
        scores = {k: Decimal(5) for k in criteria}
        service.submit(c.SubmitScores(judge=judge, team="nam-tra-my", scores=scores, by=c.Actor("judge", judge)))
    service.submit(c.RevealScores(team="nam-tra-my"))

    context = await browser.new_context(viewport=FULL)
    overlays = {}
    for layer in LIVE_LAYERS:
        overlays[layer] = page = await context.new_page()
        await page.goto(f"{studio.url}/overlay/{layer}?always=1")
        await page.wait_for_selector("body[data-status=live]", state="attached")
    pads = await browser.new_context(viewport={"width": 1024, "height": 768})
    team_pad = await pads.new_page()
    await team_pad.goto(f"{studio.url}/team?token={studio.token('team', 'dien-ban')}")
    judge_pad = await pads.new_page()
    await judge_pad.goto(f"{studio.url}/judge?token={studio.token('judge', 'gk-1')}")
    for page in (team_pad, judge_pad):
        await page.wait_for_selector("body[data-status=live]", state="attached")

    faults: list[str] = []
    breaks: dict[str, list[str]] = {}  # the scoreboard's lines of each team at the first step
    for step, targets in enumerate(STEPS):
        set_scores(service, targets)
        view = service.snapshot("public")["view"]
        shown = {t["id"]: points(t["score"], 2, "vi") for t in view["teams"]}
        board = overlays["scoreboard"]
        await settle(board, shown["tam-ky"])
        cards = {card["team"]: card for card in await board.evaluate(CARDS)}
        assert {team: card["score"] for team, card in cards.items()} == shown
        for card in cards.values():
            assert not card["crownOnName"] and not card["crownOnScore"], card
            assert card["crownVisible"] == card["leader"], card
        if step:
            assert [team for team, card in cards.items() if card["leader"]] == ["tam-ky"]
        boxes = await board.evaluate(NAMES)
        faults += fit_faults(boxes, f"{names} scoreboard at {shown}")
        lines = {b["key"]: b["lines"] for b in boxes}
        if step == 0:
            breaks = lines
        else:  # a wider score never moves a name's line break
            assert lines == breaks, (shown, lines, breaks)
        await shoot(board, f"{names}-scoreboard-{step}")

    # The other layers at the widest scores; the buzz order and season tables from their previews.
    for layer in LIVE_LAYERS[1:]:
        await settle(overlays[layer])
        faults += fit_faults(await overlays[layer].evaluate(NAMES), f"{names} {layer}")
        await shoot(overlays[layer], f"{names}-{layer}")
    for layer in PREVIEW_LAYERS:
        page = await context.new_page()
        await page.goto(f"{studio.url}/overlay/{layer}?preview=1")
        await page.wait_for_selector(f".layer-{layer} .name-fit", state="attached")
        await settle(page)
        faults += fit_faults(await page.evaluate(NAMES), f"{names} {layer} preview")
        await shoot(page, f"{names}-{layer}-preview")

    # The same score on the overlay, the team pad and the judge pad: "164,20" (vi).
    dien_ban = points(STEPS[-1]["dien-ban"], 2, "vi")
    assert dien_ban == "164,20"
    await settle(team_pad, dien_ban)
    assert await team_pad.text_content("#score") == dien_ban
    await settle(judge_pad, dien_ban)
    judge_scores = await judge_pad.eval_on_selector_all(".card-score", "(ns) => ns.map((n) => n.textContent)")
    assert [s for s in judge_scores if s.endswith(f": {dien_ban}")], judge_scores
    assert any(s.endswith(": 214,53") for s in judge_scores), judge_scores
    faults += fit_faults(await team_pad.evaluate(NAMES), f"{names} team pad")
    faults += fit_faults(await judge_pad.evaluate(NAMES), f"{names} judge pad")
    await team_pad.screenshot(path=str(ARTIFACTS / f"names-{names}-team-pad.png"))
    await judge_pad.screenshot(path=str(ARTIFACTS / f"names-{names}-judge-pad.png"))

    # In English: "214.53" everywhere.
    board_en = await context.new_page()
    await board_en.goto(f"{studio.url}/overlay/scoreboard?always=1&lang=en")
    await settle(board_en, "214.53")
    assert {card["team"]: card["score"] for card in await board_en.evaluate(CARDS)} == {
        "tam-ky": "214.53",
        "dien-ban": "164.20",
        "nam-tra-my": "59.20",
    }
    team_en = await pads.new_page()
    await team_en.goto(f"{studio.url}/team?token={studio.token('team', 'tam-ky')}&lang=en")
    await settle(team_en, "214.53")
    assert await team_en.text_content("#score") == "214.53"
    judge_en = await pads.new_page()
    await judge_en.goto(f"{studio.url}/judge?token={studio.token('judge', 'gk-2')}&lang=en")
    await settle(judge_en, "214.53")
    assert "Score so far: 214.53" in await judge_en.eval_on_selector_all(
        ".card-score", "(ns) => ns.map((n) => n.textContent)"
    )

    assert not faults, "\n".join(faults)
    if names == "long":  # the 60-character name has no short name: it is cut at a word, not mid-word
        shown_long = [b for b in await overlays["scoreboard"].evaluate(NAMES) if b["full"] == LONG]
        assert shown_long and all(" " in b["text"] for b in shown_long)
    await context.close()
    await pads.close()
