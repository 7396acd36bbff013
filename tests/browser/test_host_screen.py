"""The host's screen in real Chromium during a buzzer question: everything the MC reads is on one screen,
large, at 1920x1080 and at 1366x768, and follows the show as it happens.

The producer's side goes straight through the service, as the controller would send it; the teams buzz
as their pads would.
"""

from __future__ import annotations

import re
from decimal import Decimal

from server.core import commands as c
from server.core.possible import SIMPLE
from server.i18n import missing, strings
from tests.browser.conftest import ROOT, Studio, screenshot

VI = strings("vi")
TEAMS = ("tam-ky", "dien-ban", "nam-tra-my")
SCREENS = {"1920": (1920, 1080), "1366": (1366, 768)}
SHOWN = ("#q-text", "#answer", "#notes", "#timer", "#next", "#who")

# Every element of the screen inside the window, and none whose content is cut off or spills out.
LAYOUT = """() => {
  const faults = [];
  const W = innerWidth, H = innerHeight;
  for (const el of document.querySelectorAll("#screen, #screen *")) {
    if (el.closest("[hidden]") || !el.getClientRects().length) continue;
    const r = el.getBoundingClientRect();
    const name = el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${el.className}`;
    if (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1) {
      faults.push(`${name} outside the window: ${[r.left, r.top, r.right, r.bottom].map(Math.round)}`);
    }
    const style = getComputedStyle(el);
    if (style.display === "inline" || !el.clientHeight) continue;
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
      faults.push(`${name} overflows: ${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`);
    }
  }
  return faults;
}"""

# What a host reads, as the page shows it.
READ = """() => ({
  question: document.querySelector("#q-text").textContent,
  questionPx: parseFloat(getComputedStyle(document.querySelector("#q-text")).fontSize),
  answer: document.querySelector("#answer").textContent,
  answerPx: parseFloat(getComputedStyle(document.querySelector("#answer")).fontSize),
  notes: document.querySelector("#notes").textContent,
  buzzes: [...document.querySelectorAll("#buzzes li[data-team]")].map((li) => li.dataset.team),
  answers: [...document.querySelectorAll("#answers li[data-team]")].map((li) => [li.dataset.team, li.className]),
  scores: Object.fromEntries([...document.querySelectorAll("#scores li")].map((li) =>
    [li.dataset.team, li.querySelector(".pts").textContent])),
  scorePx: parseFloat(getComputedStyle(document.querySelector("#scores .pts")).fontSize),
  timer: document.querySelector("#timer").textContent,
  next: document.querySelector("#next").textContent,
  who: document.querySelector("#who").textContent,
  segment: document.querySelector("#segment-title").textContent,
})"""


def buzz(studio: Studio, team: str) -> None:
    studio.run(c.Buzz(team=team, by=c.Actor("team", team)))


async def in_view(page, selector: str) -> bool:
    box = await page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["width"] > 0
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 1
        and box["y"] + box["height"] <= size["height"] + 1
    )


async def test_the_host_reads_a_buzzer_question_on_one_screen(studio: Studio) -> None:
    config = studio.service.config
    # Level on points, so the sudden-death tie-break (a buzzer round) can be played.
    studio.run(c.StartShow())
    for team in TEAMS:
        studio.run(c.AdjustScore(team=team, points=Decimal("214.5"), reason="Vòng trước"))
    pages = {}
    for name, (width, height) in SCREENS.items():
        context = await studio.browser.new_context(viewport={"width": width, "height": height})
        pages[name] = await studio.open(f"/host?token={studio.token('host')}", context=context)
    for page in pages.values():
        await page.wait_for_selector("body[data-status=live]")

    async def settled() -> None:
        rev = studio.service.revision
        for page in pages.values():
            await page.wait_for_function("(rev) => Number(document.body.dataset.rev) >= rev", arg=rev)

    # Before the question: the segment and what the host says to open it.
    studio.run(c.GotoSegment(index=2))
    await settled()
    intro = pages["1920"]
    assert await intro.text_content("#segment-title") == config.rundown[2].title
    assert await intro.text_content("#notes") == config.rundown[2].notes
    assert await intro.text_content("#segment-kicker") == f"Phần 3/{len(config.rundown)} · {VI['host.round.turns']}"
    await screenshot(intro, "host-intro-1920")

    # The tie-break: a buzzer question, opened; Tam Kỳ buzzes first and is wrong, Điện Bàn buzzes next.
    studio.run(c.StartTiebreak(teams=TEAMS), c.ShowQuestion(), c.OpenAnswers())
    buzz(studio, "tam-ky")
    studio.run(c.JudgeAnswer(team="tam-ky", correct=False))
    buzz(studio, "dien-ban")
    await settled()
    question = config.questions[studio.service.state.board.question.id]
    assert question.notes and question.answer
    view = studio.service.snapshot("producer")["view"]
    for name, page in pages.items():
        read = await page.evaluate(READ)
        assert read["segment"] == view["segment"]["title"]
        assert read["question"] == question.text
        assert read["answer"] == question.answer
        assert read["notes"] == question.notes
        assert read["buzzes"] == ["tam-ky", "dien-ban"]
        assert read["answers"] == [["tam-ky", "bad"]]
        assert read["who"].endswith("Đội Thị xã Điện Bàn")
        assert set(read["scores"]) == set(TEAMS) and len(set(read["scores"].values())) == 1
        assert re.fullmatch(r"214,5\d*", read["scores"]["tam-ky"]), read["scores"]
        assert re.fullmatch(r"\d+", read["timer"]) and 0 < int(read["timer"]) <= config.tiebreak.timer_ms // 1000
        if view.get("next_action") == "judge":
            assert read["next"] == VI["host.next.judge_team"].replace("{team}", "Đội Thị xã Điện Bàn")
        for selector in (
            *SHOWN,
            "#buzzes li[data-team=dien-ban]",
            "#answers li",
            *(f"#scores li[data-team={t}]" for t in TEAMS),
        ):
            if selector == "#next" and not view.get("next_action"):
                continue
            assert await in_view(page, selector), f"{name}: {selector} is not on screen"
        faults = await page.evaluate(LAYOUT)
        assert faults == [], (name, faults)
        if name == "1920":  # readable from two metres on a 24" monitor
            assert read["questionPx"] >= 40 and read["answerPx"] >= 48 and read["scorePx"] >= 48, read
        await screenshot(page, f"host-{name}")
        assert page.errors == []

    # The clock is the server's: it counts down on every screen, and paused it holds still.
    studio.run(c.StartTimer(duration_ms=15000))
    for page in pages.values():
        await page.wait_for_function("() => Number(document.querySelector('#timer').textContent) < 15")
    studio.run(c.PauseTimer())
    await settled()
    left = str(-(-studio.service.state.board.timer.remaining_ms // 1000))
    for page in pages.values():
        await page.wait_for_function("(left) => document.querySelector('#timer').textContent === left", arg=left)

    # Judged right: the answers say so as they come in.
    studio.run(c.JudgeAnswer(team="dien-ban", correct=True))
    await settled()
    for page in pages.values():
        assert (await page.evaluate(READ))["answers"] == [["tam-ky", "bad"], ["dien-ban", "good"]]


async def test_a_wrong_token_gets_a_refusal_screen(studio: Studio) -> None:
    page = await studio.open("/host?token=not-the-host", context=None)
    await page.wait_for_selector("#refused")
    assert VI["host.unauthorized"] in await page.text_content("#refused")
    assert await page.locator("#screen").count() == 0
    await screenshot(page, "host-refused")


async def test_long_questions_and_every_round_fit_without_scrolling(studio: Studio) -> None:
    """A multiple-choice question with notes, the longest answer of the show, an audience question: at
    1366x768 the page shrinks what it must and nothing is cut off or needs scrolling."""
    context = await studio.browser.new_context(viewport={"width": 1366, "height": 768})
    page = await studio.open(f"/host?token={studio.token('host')}", context=context)
    await page.wait_for_selector("body[data-status=live]")
    config = studio.service.config
    played = [config.questions[q] for s in config.rundown for q in s.questions]
    longest = max(played, key=lambda q: len(q.text) + len(q.answer or "") + len(q.notes))

    async def fits(name: str) -> None:
        rev = studio.service.revision
        await page.wait_for_function("(rev) => Number(document.body.dataset.rev) >= rev", arg=rev)
        faults = await page.evaluate(LAYOUT)
        assert faults == [], (name, faults)
        for selector in ("#q-text", "#answer"):
            assert await in_view(page, selector), f"{name}: {selector} is not on screen"

    studio.run(c.StartShow(), c.GotoSegment(index=2), c.ShowQuestion())  # kn-01: options A-D, notes
    await fits("multiple choice")
    assert await page.locator("#q-options li.correct[data-option=A]").count() == 1
    await screenshot(page, "host-options-1366")
    segment = next(s for s in config.rundown if longest.id in s.questions)
    studio.run(c.GotoSegment(index=config.rundown.index(segment)))
    while studio.service.state.board.question is None or studio.service.state.board.question.id != longest.id:
        studio.run(c.ShowQuestion())
    await fits("the longest question")
    await screenshot(page, "host-longest-1366")
    studio.run(c.GotoSegment(index=4), c.ShowQuestion(), c.OpenAnswers())  # the audience round
    await fits("audience")
    assert page.errors == []


def test_the_page_uses_only_catalogue_keys() -> None:
    used: set[str] = set()
    for name in ("static/host.js", "templates/host.html"):
        text = (ROOT / "controller" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"""t\(\s*["'`]((?:host|common)\.[\w.]+)["'`]""", text))
        used |= set(re.findall(r"""t\[["']((?:host|common)\.[\w.]+)["']\]""", text))
    used |= {f"host.round.{r}" for r in ("judged", "turns", "speed", "buzzer", "packages", "audience")}
    used |= {f"host.phase.{p}" for p in ("ready", "open", "answering", "steal", "closed", "revealed")}
    # Every step the producer's view may name as the next one.
    used |= {f"host.next.{key}" for key in (*SIMPLE, "judge", "start_tiebreak", "place_star", "choose_package")}
    assert len(used) > 50
    assert sorted(k for k in used if k not in VI) == []
    assert missing() == []
