"""The broadcast overlays in headless Chromium against a live show.

A demo show is played by producer commands while every overlay page (and the program page, all
layers stacked) follows it: each layer must show what the server's public view says, go on and
off air with the producer's toggles, and, at each realistic moment, pass the broadcast checks on a
1920x1080 and a 1280x720 frame (nothing outside the title-safe area, transparent around the
graphics, no text overflowing its box, nothing sticking out of its panel). The same show is played
again with the longest team names of the Quảng Nam season and an 80-character guest strap.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import signal
import time
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image, ImageDraw
from playwright.async_api import TimeoutError as PlaywrightTimeout

from server.app import Settings, create_app
from server.core import commands as c
from server.core.config import OVERLAYS
from server.core.zones import OVERLAY_ZONES
from server.format import points
from server.i18n import strings
from server.show.preview import sample_season
from server.transport.overlays import lan_address
from tests.browser.conftest import ARTIFACTS, Studio
from tests.conftest import DEMO
from tests.processes import ServerProcess

T = strings("vi")
FULL, SMALL = (1920, 1080), (1280, 720)
PROGRAM = "program"
POLL = 25  # ms between checks of a page condition (polling on animation frames stalls on still pages)
WAIT = 10_000  # ms for a page to show what the server says
FULL_FRAME = ("standings", "bracket")  # graphics that fill the title-safe box on purpose
GUEST = "Bà Tôn Nữ Hoàng Phương Thảo, Phó Giám đốc Sở Thông tin và Truyền thông Quảng Nam"  # 80 characters
GUEST_TITLE = "Đại biểu Quốc hội khóa XV, Trưởng ban Chỉ đạo cải cách hành chính và chuyển đổi số của tỉnh Quảng Nam"
LONG_NAMES = {  # the longest names of the Quảng Nam 2024 season, and long given names
    '"Đội Thị xã Điện Bàn"': '"Đội Huyện Bắc Trà My"',
    '"Thị xã Điện Bàn"': '"Huyện Bắc Trà My"',
    '"Nguyễn Thị Thu Hà"': '"Tôn Nữ Thị Hoàng Phương Thảo"',
    '"Đinh Thị Mỹ Duyên"': '"Nguyễn Huỳnh Thị Ngọc Diễm Phương"',
}

# -- in the page ------------------------------------------------------------------------------

# Resolves once the page is still: fonts loaded, every layer at the end of its entry or exit,
# no finite animation running (pulses, transitions), counting numbers at rest for a few frames.
SETTLE = """async () => {
  await document.fonts.ready;
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const moving = () => document.getAnimations().some((a) => a.playState === "running"
    && a.effect && a.effect.getComputedTiming().iterations !== Infinity);
  const placed = () => [...document.querySelectorAll(".layer")].every((l) => {
    const s = getComputedStyle(l);
    return l.dataset.on === "1" ? s.opacity === "1" && s.transform === "none" : s.opacity === "0";
  });
  const numbers = () => [...document.querySelectorAll("[data-value]")].map((n) => n.textContent).join("|");
  let calm = 0, last = null;
  const until = performance.now() + 8000;
  while (performance.now() < until) {
    await frame();
    const now = numbers();
    calm = !moving() && placed() && now === last ? calm + 1 : 0;
    last = now;
    if (calm >= 3) return true;
  }
  return false;
}"""

# What a frame must satisfy in the DOM, and the boxes of the graphics on air for the pixel checks.
FRAME = """() => {
  const faults = [], panels = [];
  const box = (r) => [r.left, r.top, r.right, r.bottom].map((v) => Math.round(v * 10) / 10);
  const name = (n) => `${n.closest(".layer").dataset.layer}: ${n.tagName.toLowerCase()}.${[...n.classList].join(".")}`;
  for (const n of document.querySelectorAll('.layer[data-on="1"] .fit')) {
    if (!n.getClientRects().length) continue;  // not displayed
    if (n.scrollWidth > n.clientWidth + 1 || n.scrollHeight > n.clientHeight + 1) {
      faults.push(`${name(n)} overflows: ${n.scrollWidth}x${n.scrollHeight} in ${n.clientWidth}x${n.clientHeight}`
        + ` at ${getComputedStyle(n).fontSize}: "${n.textContent}"`);
    }
  }
  for (const layer of document.querySelectorAll('.layer[data-on="1"]')) {
    for (const panel of layer.querySelectorAll(".panel")) {
      if (panel.parentElement.closest(".panel")) continue;
      const p = panel.getBoundingClientRect();
      panels.push({ layer: layer.dataset.layer, box: box(p) });
      for (const d of panel.querySelectorAll("*")) {
        const r = d.getBoundingClientRect();
        if (!r.width || !r.height) continue;
        if (r.left < p.left - 1 || r.top < p.top - 1 || r.right > p.right + 1 || r.bottom > p.bottom + 1) {
          const what = d.textContent.slice(0, 60);
          faults.push(`${name(d)} sticks out of its panel: ${box(r)} outside ${box(p)} "${what}"`);
        }
      }
    }
  }
  return { faults, panels };
}"""

LAYERS_ON = """(on) => [...document.querySelectorAll(".layer")].every((l) => {
  const want = on.includes(l.dataset.layer), s = getComputedStyle(l);
  return l.dataset.on === (want ? "1" : "0") && s.opacity === (want ? "1" : "0")
    && s.visibility === (want ? "visible" : "hidden");
})"""

ON_AIR = (
    """() => Object.fromEntries([...document.querySelectorAll(".layer")].map((l) => [l.dataset.layer, l.dataset.on]))"""
)

# One reader per layer: what the audience sees, as plain data (selectors are unique per page). A name
# box is read by the name it was given (data-full): it may show the short name where the whole does
# not fit (dom.js fitName; tests/browser/test_names_fit.py checks what it shows).
READ = {
    "scoreboard": """() => [...document.querySelectorAll(".team-card")].map((card) => [
        card.dataset.key, card.querySelector(".team-name").dataset.full,
        card.querySelector(".team-score").textContent, card.classList.contains("leader")])""",
    "lower_third": """() => ["name", "title", "members"].map((part) => {
        const n = document.querySelector(`.strap-${part}`);
        return n.hidden ? null : n.dataset.full ?? n.textContent;
    })""",
    "question": """() => ({
        round: document.querySelector(".layer-question .round-name").textContent,
        text: document.querySelector(".question-text").textContent,
        options: Object.fromEntries([...document.querySelectorAll(".option")].map((o) =>
            [o.dataset.key, o.querySelector(".option-text").textContent])),
        correct: [...document.querySelectorAll(".option.correct")].map((o) => o.dataset.key),
        phase: document.querySelector(".question-card").dataset.phase,
    })""",
    "buzzer": """() => [...document.querySelectorAll(".order-row")].map((row) => [
        row.dataset.key, row.querySelector(".order-name").dataset.full, row.querySelector(".order-rank").textContent,
        row.querySelector(".order-time").textContent, row.dataset.mark])""",
    "judges": """() => ({
        team: document.querySelector(".judges-team").dataset.full,
        rows: Object.fromEntries([...document.querySelectorAll(".jrow")].map((row) =>
            [row.dataset.key, [...row.querySelectorAll(".jcell")].map((n) => n.dataset.full ?? n.textContent)])),
        result: document.querySelector(".result-value").textContent,
        chips: Object.fromEntries([...document.querySelectorAll(".result-chip")].map((chip) =>
            [chip.dataset.key, chip.querySelector(".chip-value").textContent])),
    })""",
    "audience": """() => ({
        bars: Object.fromEntries([...document.querySelectorAll(".bar")].map((bar) => [bar.dataset.key, [
            bar.querySelector(".bar-label").dataset.full, bar.querySelector(".bar-count").textContent,
            bar.querySelector(".bar-pct").textContent, bar.classList.contains("correct")]])),
        total: document.querySelector(".poll-total").textContent,
        winners: [...document.querySelectorAll(".winner-chip")].map((chip) => chip.textContent),
    })""",
    "standings": """() => [...document.querySelectorAll(".standing-row")].map((row) => [row.dataset.key,
        ...[".st-rank", ".st-name", ".st-played", ".st-points"].map((s) => row.querySelector(s))
            .map((n) => n.dataset.full ?? n.textContent)])""",
    "bracket": """() => Object.fromEntries([...document.querySelectorAll(".show-card")].map((card) => [
        card.dataset.key, [...card.querySelectorAll(".bracket-row")].map((row) => [row.dataset.key,
            row.querySelector(".br-name").dataset.full, row.querySelector(".br-points").textContent])]))""",
    "winner": """() => [".winner-label", ".winner-name", ".winner-score"].map(
        (s) => document.querySelector(s).dataset.full ?? document.querySelector(s).textContent)""",
    "timer": """() => {
        const face = document.querySelector(".timer-face");
        return [face.querySelector(".timer-number").textContent, ["urgent", "paused", "done"].filter(
            (k) => face.classList.contains(k))];
    }""",
}

# The moment the countdown's number changes, by this machine's clock (the server's clock too).
NEXT_SECOND = """() => new Promise((resolve) => {
  const n = document.querySelector(".timer-number"), start = n.textContent;
  const look = () => n.textContent !== start
    ? resolve({ shown: Number(n.textContent), at: Date.now(), urgent: n.parentElement.classList.contains("urgent") })
    : requestAnimationFrame(look);
  requestAnimationFrame(look);
})"""

# -- what the pages should read --------------------------------------------------------------


def _decimal(value: Any, places: str = "0.01") -> Decimal:
    # Intl.NumberFormat rounds the decimal the number prints as, half away from zero.
    return Decimal(str(value)).quantize(Decimal(places), ROUND_HALF_UP)


def vi(value: Any) -> str:
    """Points as the overlays print them: the demo show's fixed 2 decimals, vi-VN (server/format.py)."""
    return points(value, 2, "vi")


def seconds(ms: int) -> str:
    return f"{_decimal(Decimal(ms) / 1000)}".replace(".", ",") + " s"


def expected(layer: str, view: dict[str, Any], **known: Any) -> Any:
    """What ``READ[layer]`` should give for the public ``view``."""
    teams = {t["id"]: t for t in view["teams"]}
    if layer == "scoreboard":
        scores = [t["score"] for t in view["teams"]]
        ahead = len(set(scores)) > 1
        return [[t["id"], t["name"], vi(t["score"]), ahead and t["score"] == max(scores)] for t in view["teams"]]
    if layer == "lower_third":
        strap = view["lower_third"]
        team = teams.get(strap["subject"]) if strap["kind"] == "team" else None
        members = " · ".join(m["name"] for m in team["members"]) if team else None
        return [strap["name"], strap["title"] or None, members or None]
    if layer == "question":
        q = view["question"]
        revealed = q["phase"] == "revealed"
        return {
            "round": view["segment"]["title"],
            "text": q["text"],
            "options": q["options"] or {},
            "correct": [q["answer"]] if revealed and q["options"] else [],
            "phase": q["phase"],
        }
    if layer == "buzzer":  # the speed round, answers closed: ranked by the server's answer times
        answers = sorted(view["question"]["answers"].items(), key=lambda item: item[1]["elapsed_ms"])
        marks = {True: "right", False: "wrong", None: ""}
        return [
            [team, teams[team]["name"], str(rank), seconds(a["elapsed_ms"]), marks[a["correct"]]]
            for rank, (team, a) in enumerate(answers, 1)
        ]
    if layer == "judges":
        judged, focus = view["judged"][known["segment"]], known["focus"]
        head = [j["name"] for j in view["judges"]]
        rows: dict[str, list[str]] = {"__head": head}
        for criterion in judged["criteria"]:
            rows[criterion["id"]] = [vi(judged["scores"][j["id"]][focus][criterion["id"]]) for j in view["judges"]]
        rows["__total"] = [vi(sum(judged["scores"][j["id"]][focus].values())) for j in view["judges"]]
        chips = {t: vi(judged["results"][t]) if t in judged["revealed"] else "–" for t in teams}
        return {"team": teams[focus]["name"], "rows": rows, "result": vi(judged["results"][focus]), "chips": chips}
    if layer == "audience":
        q, segment = view["question"], view["segment"]
        if segment["round"] == "audience":
            options, tally = q["options"], q["tally"]
            answer = q["answer"] if q["phase"] == "revealed" else None
            winners = [w["nickname"] for w in q["winners"]] if q["phase"] == "revealed" else []
        else:  # a team vote in a judged round
            options, tally = {t: teams[t]["name"] for t in teams}, view["judged"][segment["id"]]["tally"]
            answer, winners = None, []
        total = tally["total"]

        def share(key: str) -> str:
            return f"{math.floor(100 * tally['counts'].get(key, 0) / total + 0.5) if total else 0} %"  # Math.round

        bars = {
            key: [label, str(tally["counts"].get(key, 0)), share(key), key == answer] for key, label in options.items()
        }
        return {"bars": bars, "total": str(total), "winners": winners}
    if layer == "standings":
        return [
            [r["team"], str(r["rank"]), r["name"], f"{r['played']} {T['overlay.played']}", vi(r["points"])]
            for r in view["season"]["standings"]
        ]
    if layer == "bracket":
        return {
            show["id"]: [[r["team"], r["name"], "" if r["points"] is None else vi(r["points"])] for r in show["teams"]]
            for stage in view["season"]["bracket"]
            for show in stage["shows"]
        }
    if layer == "winner":
        top = [s for s in view["standings"] if s["rank"] == 1]
        label = "overlay.winner" if view["phase"] == "ended" else "overlay.leader"
        return [T[label], teams[top[0]["team"]]["name"], f"{vi(top[0]['points'])} {T['common.points']}"]
    raise AssertionError(layer)


# -- pages and frames ---------------------------------------------------------------------------


async def open_overlay(context, url: str, ready: str = "live"):
    """An overlay page that records page errors and console errors in ``page.problems``."""
    page = await context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    await page.goto(url)
    await page.wait_for_selector(f"body[data-status={ready}]", state="attached")
    return page


async def until_read(page, layer: str, want: Any, timeout: float = 5) -> None:
    """Wait until the page shows ``want`` on ``layer``; fail with the difference if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (got := await page.evaluate(READ[layer])) != want:
        if loop.time() > deadline:
            assert got == want, f"{layer} on {page.url}"
        await asyncio.sleep(0.05)


async def until_server_time(service, at: int, timeout: float = 10) -> None:
    """Wait until the server's clock (``service.clock``, in ms) reads ``at`` or later."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while service.clock() < at:
        assert loop.time() < deadline, f"the server's clock is still before {at} ms"
        await asyncio.sleep(0.01)


def pixel_faults(path: Path, panels: list[dict], clear: float) -> list[str]:
    """Alpha checks of a screenshot: title-safe area, transparency around the graphics."""
    with Image.open(path) as image:
        assert image.mode == "RGBA", f"{path.name}: no alpha channel"
        alpha = image.getchannel("A")
    width, height = alpha.size
    faults = []
    outside = alpha.copy()
    safe = (round(width * 0.05), round(height * 0.05), round(width * 0.95) - 1, round(height * 0.95) - 1)
    ImageDraw.Draw(outside).rectangle(safe, fill=0)
    if box := outside.getbbox():
        faults.append(f"{path.name}: pixels drawn outside the title-safe area, within {box}")
    around = alpha.copy()
    draw = ImageDraw.Draw(around)
    for panel in panels:
        left, top, right, bottom = panel["box"]
        draw.rectangle((math.floor(left) - 4, math.floor(top) - 4, math.ceil(right) + 4, math.ceil(bottom) + 4), fill=0)
    if box := around.getbbox():
        faults.append(f"{path.name}: pixels drawn outside every graphic, within {box}")
    share = alpha.histogram()[0] / (width * height)
    if share < clear:
        faults.append(f"{path.name}: only {share:.0%} of the frame is transparent, expected {clear:.0%} at least")
    return faults


def overlapping(panels: list[dict]) -> list[str]:
    """Graphics of different layers on top of each other in one frame."""
    out = []
    for i, a in enumerate(panels):
        for b in panels[i + 1 :]:
            if a["layer"] == b["layer"]:
                continue
            (al, at, ar, ab), (bl, bt, br, bb) = a["box"], b["box"]
            if min(ar, br) - max(al, bl) > 1 and min(ab, bb) - max(at, bt) > 1:
                out.append(f"{a['layer']} {a['box']} overlaps {b['layer']} {b['box']}")
    return out


async def frame_faults(page, name: str, clear: float, program: bool = False) -> list[str]:
    """Settle the page, check its DOM, save a transparent screenshot and check its pixels."""
    assert await page.evaluate(SETTLE), f"{name}: the page never settled"
    checked = await page.evaluate(FRAME)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), omit_background=True)
    faults = [f"{name}: {fault}" for fault in checked["faults"]]
    faults += pixel_faults(path, checked["panels"], clear)
    if program:
        faults += [f"{name}: {fault}" for fault in overlapping(checked["panels"])]
    return faults


async def fit_faults(page, name: str) -> list[str]:
    """The DOM half of the frame checks, without a screenshot (for the in-between states)."""
    assert await page.evaluate(SETTLE), f"{name}: the page never settled"
    return [f"{name}: {fault}" for fault in (await page.evaluate(FRAME))["faults"]]


# -- the show -------------------------------------------------------------------------------


class Gallery:
    """Every overlay page and the program page following one live show, and what they must show."""

    def __init__(self, studio: Studio, prefix: str) -> None:
        self.studio, self.service, self.prefix = studio, studio.service, prefix
        self.pages: dict[str, Any] = {}
        self.small = None  # the program page in a 1280x720 browser source
        self.on: set[str] = set()  # the producer's on-air toggles
        self.empty: set[str] = set()  # layers with nothing to show now (off air whatever the toggle)
        self.faults: list[str] = []

    async def open(self) -> None:
        # A browser context per page, as OBS gives each source its own: a page that shares a
        # window with others gets animation frames about once a second while it is not in front.
        names = (PROGRAM, *OVERLAYS)
        *pages, self.small = await asyncio.gather(
            *(self.page(f"/overlay/{name}", FULL) for name in names), self.page(f"/overlay/{PROGRAM}", SMALL)
        )
        self.pages = dict(zip(names, pages, strict=True))

    async def page(self, path: str, size: tuple[int, int]):
        context = await self.studio.browser.new_context(viewport={"width": size[0], "height": size[1]})
        return await open_overlay(context, f"{self.studio.url}{path}")

    @property
    def view(self) -> dict[str, Any]:
        return self.service.snapshot("public")["view"]

    @property
    def everyone(self) -> list:
        return [*self.pages.values(), self.small]

    async def do(self, *commands: c.Command) -> None:
        """The producer acts; every page has the new revision before this returns."""
        for command in commands:
            self.service.submit(command)
        # The rules decide what is on air (a look, a segment change, overlays sharing a zone).
        self.on = set(self.service.state.board.on_air)
        rev = self.service.revision
        await asyncio.gather(
            *(
                p.wait_for_function(
                    "(rev) => Number(document.body.dataset.rev) >= rev", arg=rev, polling=POLL, timeout=WAIT
                )
                for p in self.everyone
            )
        )

    async def air(self, *names: str, off: Iterable[str] = ()) -> None:
        """Put ``names`` on air (taking off what shares their zones) and ``off`` off, where not so already."""
        for name in names:
            if name not in self.service.state.board.on_air:
                await self.do(c.SetOverlay(overlay=name, visible=True))
        for name in off:
            if name in self.service.state.board.on_air:
                await self.do(c.SetOverlay(overlay=name, visible=False))
        assert set(names) <= self.on and not set(off) & self.on
        await self.on_air()

    async def on_air(self) -> None:
        """Exactly the expected layers are on air on every page, and seen (entry or exit finished)."""
        on = self.on - self.empty
        waits = [
            p.wait_for_function(LAYERS_ON, arg=sorted(on), polling=POLL, timeout=WAIT)
            for p in (self.pages[PROGRAM], self.small)
        ]
        waits += [
            self.pages[n].wait_for_function(LAYERS_ON, arg=sorted(on & {n}), polling=POLL, timeout=WAIT)
            for n in OVERLAYS
        ]
        try:
            await asyncio.gather(*waits)
        except PlaywrightTimeout:
            seen = {name: await page.evaluate(ON_AIR) for name, page in self.pages.items()}
            raise AssertionError(f"expected on air: {sorted(on)}; the pages have {seen}") from None

    async def shows(self, layer: str, **known: Any) -> Any:
        """The layer reads what the server's view says, on the program page and on its own page."""
        want = expected(layer, self.view, **known)
        await until_read(self.pages[PROGRAM], layer, want)
        await until_read(self.pages[layer], layer, want)
        return want

    async def shoot(self, layer: str) -> None:
        """The broadcast checks of one overlay, at 1920x1080 and in a 1280x720 source."""
        page = self.pages[layer]
        # The zone below the score band (the poll, the winner) leaves less of the frame clear.
        clear = 0.15 if layer in FULL_FRAME else 0.35 if OVERLAY_ZONES[layer] == "stage" else 0.5
        self.faults += await frame_faults(page, f"{self.prefix}-{layer}", clear)
        await page.set_viewport_size({"width": SMALL[0], "height": SMALL[1]})
        self.faults += await frame_faults(page, f"{self.prefix}-{layer}-1280", clear)
        await page.set_viewport_size({"width": FULL[0], "height": FULL[1]})

    async def shoot_program(self, suffix: str, clear: float = 0.4) -> None:
        name = f"{self.prefix}-program{suffix}"
        self.faults += await frame_faults(self.pages[PROGRAM], name, clear, program=True)
        self.faults += await frame_faults(self.small, f"{name}-1280", clear, program=True)

    async def fits(self, layer: str) -> None:
        self.faults += await fit_faults(self.pages[layer], f"{self.prefix}-{layer}")

    def problems(self) -> list[str]:
        return [f"{page.url}: {p}" for page in self.everyone for p in page.problems]


async def make_studio(aiohttp_server, browser, folder: Path, names: dict[str, str] | None = None, **settings) -> Studio:
    """A live show from a copy of the demo config, with some of its names replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "show.yaml"
    text = DEMO.read_text(encoding="utf-8")
    for old, new in (names or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    if not (folder / "media").exists():
        shutil.copytree(DEMO.parent / "media", folder / "media")
    app = create_app(Settings(config_path=config, db_path=folder / "show.db", **settings))
    server = await aiohttp_server(app, host="127.0.0.1")
    return Studio(server, app, browser)


def judge(judge_id: str) -> c.Actor:
    return c.Actor("judge", judge_id)


def team(team_id: str) -> c.Actor:
    return c.Actor("team", team_id)


# Each judge's marks, per team, per criterion of the two judged rounds (half points allowed).
MARKS = {
    "chao-hoi": {
        "gk-1": {"tam-ky": (9, 4.5, 5), "dien-ban": (8, 4, 4), "nam-tra-my": (9.5, 5, 4.5)},
        "gk-2": {"tam-ky": (8.5, 4, 4.5), "dien-ban": (8, 4.5, 4), "nam-tra-my": (9, 4.5, 5)},
        "gk-3": {"tam-ky": (9, 5, 4), "dien-ban": (7.5, 4, 3.5), "nam-tra-my": (8.5, 4.5, 4.5)},
    },
    "sang-tao-so": {
        "gk-1": {"tam-ky": (8, 9, 4), "dien-ban": (9, 8.5, 4.5), "nam-tra-my": (7, 7.5, 4)},
        "gk-2": {"tam-ky": (8.5, 8, 4.5), "dien-ban": (9.5, 9, 5), "nam-tra-my": (7.5, 8, 3.5)},
        "gk-3": {"tam-ky": (7.5, 8.5, 4), "dien-ban": (8.5, 9, 4.5), "nam-tra-my": (8, 7, 4)},
    },
}


async def score_round(gallery: Gallery, segment: str) -> None:
    criteria = [cr.id for cr in gallery.service.config.segment(segment).scoring.criteria]
    for judge_id, by_team in MARKS[segment].items():
        for team_id, marks in by_team.items():
            scores = {k: Decimal(str(v)) for k, v in zip(criteria, marks, strict=True)}
            await gallery.do(c.SubmitScores(judge=judge_id, team=team_id, scores=scores, by=judge(judge_id)))


@pytest.mark.parametrize("names", ["demo", "long"])
async def test_every_overlay_follows_a_live_show(aiohttp_server, browser, tmp_path: Path, names: str) -> None:
    long = names == "long"
    studio = await make_studio(aiohttp_server, browser, tmp_path, LONG_NAMES if long else None)
    service = studio.service
    g = Gallery(studio, "overlay-long" if long else "overlay")
    await g.open()
    await g.on_air()  # nothing on air before the producer says so

    # Before the show: the scoreboard goes on air; the question has nothing to show, so it stays off.
    await g.air("scoreboard")
    await g.shows("scoreboard")
    g.empty.add("question")
    await g.air("question")
    assert await g.pages["question"].get_attribute(".layer", "data-empty") == "1"
    await g.do(c.StartShow())  # the first segment's default look: the scoreboard and the (idle) countdown
    assert g.on == {"scoreboard", "timer"}
    g.empty = {"timer"}

    # Introductions: a team with its members, a member, a judge (the longest title), a guest.
    await g.do(c.ShowLowerThird(team="tam-ky"))  # puts the strap on air by itself
    await g.on_air()
    assert await g.shows("lower_third") == [
        "Đội Thành phố Tam Kỳ",
        "Thành phố Tam Kỳ",
        " · ".join(m.name for m in service.config.teams[0].members),
    ]
    await g.shoot("lower_third")
    await g.do(c.ShowLowerThird(member="tk-1"))
    lead = service.config.teams[0].members[0].name
    assert await g.shows("lower_third") == [lead, "Đội trưởng — Đội Thành phố Tam Kỳ", None]
    await g.fits("lower_third")
    await g.do(c.ShowLowerThird(judge="gk-1"))
    assert (await g.shows("lower_third"))[1] == "Trưởng ban Giám khảo — Phó Giám đốc Sở Thông tin và Truyền thông"
    await g.fits("lower_third")
    if long:
        assert len(GUEST) == 80
        await g.do(c.ShowLowerThird(name=GUEST, title=GUEST_TITLE))
        assert await g.shows("lower_third") == [GUEST, GUEST_TITLE, None]
        g.faults += await frame_faults(g.pages["lower_third"], f"{g.prefix}-lower_third-guest", 0.5)
    await g.air(off=["lower_third"])

    # Scores adjusted: the lead changes hands on the scoreboard.
    await g.do(c.AdjustScore(team="tam-ky", points=Decimal(10), reason="Khởi động"))
    assert [row[0] for row in await g.shows("scoreboard") if row[3]] == ["tam-ky"]
    await g.do(c.AdjustScore(team="dien-ban", points=Decimal("15.5"), reason="Khởi động"))
    board = await g.shows("scoreboard")
    assert [row[0] for row in board if row[3]] == ["dien-ban"] and board[1][2] == "15,50"
    await g.shoot("scoreboard")

    # The greeting round: three judges score on their pads, the producer reveals team by team.
    await g.air("judges")
    await g.pages["judges"].wait_for_function(
        f"document.querySelector('.judges-team').textContent == '{T['overlay.not_revealed']}'", polling=POLL
    )
    await score_round(g, "chao-hoi")
    results = ("tam-ky", "dien-ban", "nam-tra-my")
    for team_id in results:
        await g.do(c.RevealScores(team=team_id))
        await g.shows("judges", segment="chao-hoi", focus=team_id)
    totals = {t: [sum(Decimal(str(v)) for v in MARKS["chao-hoi"][j][t]) for j in MARKS["chao-hoi"]] for t in results}
    assert g.view["judged"]["chao-hoi"]["results"] == {  # the mean of the judges' totals
        t: float((sum(v) / 3).quantize(Decimal("0.01"))) for t, v in totals.items()
    }
    await g.shows("scoreboard")
    await g.shoot("judges")
    await g.fits("scoreboard")

    # Digital creativity: the audience votes for a team (20 % of the result), then the judges' reveal.
    await g.air(off=["judges"])
    await g.do(c.GotoSegment(index=1), c.OpenVoting())
    await g.air("audience")
    now = service.clock()
    picks = ["dien-ban"] * 14 + ["tam-ky"] * 9 + ["nam-tra-my"] * 5
    await g.do(
        c.CastVotes(
            votes=tuple(c.Vote(f"phone-{i:03d}", pick, now + i) for i, pick in enumerate(picks)), by=c.Actor("audience")
        )
    )
    poll = await g.shows("audience")
    assert poll["total"] == "28" and poll["bars"]["dien-ban"][1:3] == ["14", "50 %"]
    await g.fits("audience")
    await g.do(c.CloseVoting())
    await score_round(g, "sang-tao-so")
    await g.air("judges", off=["audience"])
    await g.do(c.RevealScores())  # every team at once: the last one is shown in full
    await g.shows("judges", segment="sang-tao-so", focus="nam-tra-my")
    await g.fits("judges")

    # The speed round: three pads answer, answers close, the answer is revealed.
    await g.air(off=["judges"])
    await g.do(c.GotoSegment(index=3), c.ShowQuestion())
    g.empty = {"buzzer", "timer"}  # nobody has answered, no countdown yet
    await g.air("buzzer", "timer")
    assert (await g.shows("question"))["phase"] == "ready"
    await g.do(c.OpenAnswers())
    g.empty.clear()
    await g.on_air()
    previous = None
    for team_id, letter in (("dien-ban", "B"), ("tam-ky", "B"), ("nam-tra-my", "A")):
        if previous is not None:  # answer times a few tenths apart, by the server's clock
            await until_server_time(service, service.state.board.question.answers[previous].at + 200)
        await g.do(c.SubmitAnswer(team=team_id, answer=letter, by=team(team_id)))
        previous = team_id
    await g.do(c.CloseAnswers(), c.RevealAnswer())
    question = await g.shows("question")
    assert question["correct"] == ["B"]
    ranking = await g.shows("buzzer")
    assert [(row[0], row[2], row[4]) for row in ranking] == [
        ("dien-ban", "1", "right"),
        ("tam-ky", "2", "right"),
        ("nam-tra-my", "3", "wrong"),
    ]
    await g.shows("scoreboard")
    await g.shoot("question")
    await g.shoot("buzzer")

    # The countdown: the server's clock to the second, the last five seconds urgent.
    await g.do(c.StartTimer(duration_ms=6000))
    timer = g.view["timer"]
    page = g.pages["timer"]
    assert await page.evaluate(READ["timer"]) == ["6", []]  # never more seconds than it was set to
    ticks = [await page.evaluate(NEXT_SECOND)]
    while ticks[-1]["shown"] > 4:
        ticks.append(await page.evaluate(NEXT_SECOND))
    for tick in ticks:
        due = timer["started_at"] + timer["remaining_ms"] - tick["shown"] * 1000  # the server passes that second
        assert abs(tick["at"] - due) < 1000 and tick["urgent"] == (tick["shown"] <= 5), (tick, due)
    assert [tick["shown"] for tick in ticks][-2:] == [5, 4], ticks
    # Paused before the pictures: on a busy machine they take longer than the four seconds left.
    await g.do(c.PauseTimer())
    await page.wait_for_function(
        "document.querySelector('.timer-face').classList.contains('paused')", polling=POLL, timeout=WAIT
    )
    await g.shoot("timer")
    await g.shoot_program("")  # a speed-round moment: scoreboard, question, timer, ranking

    # The audience round: phones vote A-D, the bars count; the answer and the quickest phones.
    await g.air(off=["buzzer"])
    await g.do(c.GotoSegment(index=4), c.ShowQuestion(), c.OpenAnswers())
    await g.air("audience")
    start = service.clock()
    letters = "BBABCBDBBABCBBDBBBCBABBBDBBCBBABBBDB"
    nicknames = ["Thu Trang", "Anh Khoa", "Minh Nhật", "Bảo Ngọc", "Quốc Huy", "Phương Linh"]
    votes = tuple(
        c.Vote(f"phone-{i:03d}", letter, start + i, f"{nicknames[i % len(nicknames)]} {i}")
        for i, letter in enumerate(letters)
    )
    await g.do(c.CastVotes(votes=votes, by=c.Actor("audience")))
    poll = await g.shows("audience")
    assert poll["total"] == str(len(letters)) and poll["bars"]["B"][1] == str(letters.count("B"))
    await g.do(c.CloseAnswers(), c.RevealAnswer())
    poll = await g.shows("audience")
    assert poll["bars"]["B"][3] and poll["winners"] == ["Thu Trang 0", "Anh Khoa 1", "Bảo Ngọc 3"]
    await g.shows("question")
    await g.shoot("audience")

    # The season: standings, then the bracket, over everything.
    season = sample_season(service.config)
    service.set_season(season)
    await g.air("standings", off=["audience", "question", "timer"])
    assert g.view["season"] == season
    rows = await g.shows("standings")
    assert len(rows) == 17 and rows[0][1] == "1"
    await g.shoot("standings")
    await g.air("bracket", off=["standings"])
    cards = await g.shows("bracket")
    assert len(cards) == 9 and [r[0] for r in cards["ck"]] == [
        t["team"] for t in g.view["season"]["bracket"][2]["shows"][0]["teams"]
    ]
    await g.shoot("bracket")

    # The end: the winner's card, then everything off air.
    await g.do(c.EndShow())
    await g.air("winner", off=["bracket"])
    card = await g.shows("winner")
    leader = max(g.view["teams"], key=lambda t: t["score"])
    assert card == [T["overlay.winner"], leader["name"], f"{vi(leader['score'])} {T['common.points']}"]
    await g.shoot("winner")
    await g.shoot_program("-end")
    await g.air(off=sorted(g.on))
    await g.shoot_program("-off", clear=1.0)

    assert not g.problems(), g.problems()
    assert not g.faults, "\n".join(g.faults)


# Chromium's own messages about the cut network, not the page's.
NETWORK = ("ERR_INTERNET_DISCONNECTED", "ERR_NAME_NOT_RESOLVED", "WebSocket connection", "ERR_CONNECTION")

# Records every change of a layer's on-air flag and of the connection status, and marks the
# document: a reload would lose both.
RECORD_FLIPS = """() => {
  window.flips = [];
  window.sameDocument = true;
  new MutationObserver((records) => {
    for (const r of records) {
      const now = r.target.getAttribute(r.attributeName);
      if (now !== r.oldValue) window.flips.push([r.target.dataset.layer || "body", now]);
    }
  }).observe(document.body, {
    subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["data-on", "data-status"],
  });
}"""


async def test_a_lost_connection_keeps_the_picture_and_catches_up_by_itself(studio: Studio) -> None:
    service = studio.service
    for command in (
        c.StartShow(),
        c.SetOverlay(overlay="timer", visible=False),  # the first look is the scoreboard and the countdown
        c.AdjustScore(team="tam-ky", points=Decimal(10), reason="Khởi động"),
        c.ShowLowerThird(team="tam-ky"),
    ):
        service.submit(command)
    context = await studio.browser.new_context(viewport={"width": FULL[0], "height": FULL[1]})
    page = await open_overlay(context, f"{studio.url}/overlay/{PROGRAM}")
    await page.wait_for_function(LAYERS_ON, arg=["lower_third", "scoreboard"], polling=POLL, timeout=WAIT)
    view = service.snapshot("public")["view"]
    board, strap = expected("scoreboard", view), expected("lower_third", view)
    await until_read(page, "scoreboard", board)
    await page.evaluate(RECORD_FLIPS)
    online = await open_overlay(await studio.browser.new_context(), f"{studio.url}/overlay/{PROGRAM}")

    await context.set_offline(True)
    await page.wait_for_selector("body[data-status=offline]", state="attached")
    service.submit(c.AdjustScore(team="dien-ban", points=Decimal(25), reason="Khởi động"))
    service.submit(c.ShowLowerThird(member="db-2"))
    # The changes went out to everyone connected: a program page in another browser, still online, has them…
    await online.wait_for_function(
        "(rev) => Number(document.body.dataset.rev) >= rev", arg=service.revision, polling=POLL, timeout=WAIT
    )
    view = service.snapshot("public")["view"]
    await until_read(online, "scoreboard", expected("scoreboard", view))
    await until_read(online, "lower_third", expected("lower_third", view))
    assert expected("scoreboard", view) != board and expected("lower_third", view) != strap
    # …and nothing of them reached this page.
    assert await page.evaluate(READ["scoreboard"]) == board
    assert await page.evaluate(READ["lower_third"]) == strap
    assert await page.evaluate(ON_AIR) == {
        name: "1" if name in ("lower_third", "scoreboard") else "0" for name in OVERLAYS
    }
    faults = await frame_faults(page, "overlay-program-offline", 0.4, program=True)  # the last picture, still whole

    await context.set_offline(False)
    view = service.snapshot("public")["view"]
    await until_read(page, "scoreboard", expected("scoreboard", view), timeout=15)
    await until_read(page, "lower_third", expected("lower_third", view))
    assert [row[0] for row in await page.evaluate(READ["scoreboard"]) if row[3]] == ["dien-ban"]
    await page.wait_for_selector("body[data-status=live]", state="attached")
    flips = await page.evaluate("window.flips")
    assert [f for f in flips if f[0] != "body"] == [], flips  # no layer left the air, not even for a frame
    assert ["body", "offline"] in flips and flips[-1] == ["body", "live"], flips
    assert await page.evaluate("window.sameDocument") is True  # caught up without a reload
    assert await page.get_attribute("body", "data-rev") == str(service.revision)
    assert not faults, "\n".join(faults)
    assert [p for p in page.problems if not any(n in p for n in NETWORK)] == []
    assert online.problems == []


async def test_a_restarted_server_gets_its_overlays_back_by_themselves(browser, tmp_path: Path) -> None:
    """The producer stops the server (Ctrl-C) with OBS's overlays open and starts it again: it stops in
    seconds, and the same page goes live again without a reload, showing what changed meanwhile."""
    server = ServerProcess(tmp_path / "show.db", "restart-test-token")
    await server.start()
    try:
        context = await browser.new_context(viewport={"width": SMALL[0], "height": SMALL[1]})
        page = await open_overlay(context, f"{server.url}/overlay/scoreboard")
        await page.evaluate("window.sameDocument = true")
        assert server.proc is not None
        server.proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        server.proc.wait(timeout=10)
        assert time.monotonic() - started < 5
        await page.wait_for_selector("body:not([data-status=live])", state="attached")
        await server.start()  # the same port and database
        await page.wait_for_selector("body[data-status=live]", state="attached", timeout=20_000)
        assert await page.evaluate("window.sameDocument") is True
        assert [p for p in page.problems if not any(n in p for n in NETWORK)] == []
    finally:
        server.stop()


async def test_every_preview_shows_sample_data_without_errors(studio: Studio) -> None:
    quiz = ["buzzer", "question", "scoreboard", "timer"]  # the program's preview: a quiz moment
    shots = [(f"{name}?preview=1", name, [name]) for name in OVERLAYS]
    shots.append((f"{PROGRAM}?preview=1", PROGRAM, quiz))
    judged = ["judges", "scoreboard", "timer"]  # a look of the demo's judged rounds (a strap would cover the judges)
    shots.append((f"{PROGRAM}?preview=1&on={','.join(judged)}", f"{PROGRAM}-judged", judged))
    shots.append((f"{PROGRAM}?preview=1&lang=en", f"{PROGRAM}-en", quiz))

    async def shoot(path: str, name: str, on: list[str]) -> tuple[Any, list[str]]:
        context = await studio.browser.new_context(viewport={"width": FULL[0], "height": FULL[1]})
        page = await open_overlay(context, f"{studio.url}/overlay/{path}", "preview")
        await page.wait_for_function(LAYERS_ON, arg=on, polling=POLL, timeout=WAIT)
        clear = 0.15 if name in FULL_FRAME else 0.4
        return page, await frame_faults(page, f"overlay-preview-{name}", clear, program=name.startswith(PROGRAM))

    shot = await asyncio.gather(*(shoot(*args) for args in shots))
    faults = [fault for _, found in shot for fault in found]
    problems = [f"{page.url}: {problem}" for page, _ in shot for problem in page.problems]
    english, en = shot[-1][0], strings("en")
    assert await english.get_attribute("html", "lang") == "en"
    assert await english.text_content(".layer-buzzer .panel-title") in (
        en["overlay.speed_ranking"],
        en["overlay.buzz_order"],
    )
    assert not problems, problems
    assert not faults, "\n".join(faults)


async def test_an_unknown_overlay_and_the_audience_join_address(studio: Studio, aiohttp_server, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{studio.url}/overlay/nope") as response:
            assert response.status == 404
            message = await response.text()
        assert "nope" in message and all(name in message for name in (*OVERLAYS, PROGRAM)), message
        async with http.get(f"{studio.url}/join.svg") as response:
            assert response.status == 200 and response.content_type == "image/svg+xml"
            assert "<svg" in await response.text()
        async with http.get(f"{studio.url}/a", allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/audience"

    context = await studio.browser.new_context(viewport={"width": FULL[0], "height": FULL[1]})
    page = await open_overlay(context, f"{studio.url}/overlay/audience?preview=1", "preview")
    # OBS loads overlays from 127.0.0.1; phones need the machine's address in the hall.
    assert await page.text_content(".join-url") == f"{lan_address()}:{studio.server.port}/a"
    await page.wait_for_function("document.querySelector('img.join-qr').naturalWidth > 0", polling=POLL, timeout=WAIT)
    assert await page.get_attribute("img.join-qr", "src") == "/join.svg"

    public = await make_studio(
        aiohttp_server, studio.browser, tmp_path / "public", public_url="https://vote.example.vn"
    )
    context = await studio.browser.new_context(viewport={"width": FULL[0], "height": FULL[1]})
    page = await open_overlay(context, f"{public.url}/overlay/audience?preview=1", "preview")
    assert await page.text_content(".join-url") == "vote.example.vn/a"
    assert not (await fit_faults(page, "overlay-preview-audience-public"))
    assert not page.problems, page.problems
