"""Ứng Hòa's season end to end, on its pages in Chromium: entrants register and take the online quiz, the
judges mark the essays blind; units submit initiatives, the organizers approve, the community votes, the
judges score; the season takes both rankings and confirms the final's line-up, the initiatives' top five;
the staged final is played live from the controller, the judges' pads and the hall's phones, and its
result comes back into the season."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from server.app import Settings, create_app, create_stage_app
from server.cli import main
from server.core.commands import SetOverlay
from server.log.store import EventLog
from server.online.otp import ConsoleSender
from server.season.book import SeasonBook
from server.transport.initiatives_api import INITIATIVES
from tests.browser.conftest import ROOT, Studio, screenshot
from tests.browser.test_initiatives_pages import FILE as INITIATIVES_FILE
from tests.browser.test_initiatives_pages import a_picture, sign_in, submit_on_page
from tests.browser.test_quiz_pages import QuizSite, register, start_and_answer
from tests.browser.test_whole_show import until
from tests.online.conftest import QUIZ_FILE

SEASON = ROOT / "show_configs" / "ung-hoa-2025.season.yaml"
FINALISTS = ("hoa-xa", "van-dinh", "phuong-tu", "y-te", "truong-hoc")
# unit, initiative, the judges' marks (impact/40, novelty/30, scale/30), the community's votes
MODELS = [
    ("Thị trấn Vân Đình", "Chợ 4.0", (34, 25, 26), 2),
    ("Xã Phương Tú", "Nông sản lên sàn", (33, 24, 25), 1),
    ("Trung tâm Y tế huyện", "Sổ sức khỏe điện tử", (32, 24, 24), 1),
    ("Trường học", "Lớp học số", (30, 22, 23), 1),
    ("Xã Cao Thành", "Thôn thông minh", (25, 18, 18), 0),
]


async def online_quiz(aiohttp_server, browser, db: Path) -> None:
    """One entrant on the page from registration to hand-in, two more beside her; three judges mark blind."""
    sender = ConsoleSender()
    app = create_stage_app(QUIZ_FILE, db, sender=sender, rehearsal=True)
    site = QuizSite(await aiohttp_server(app, host="127.0.0.1"), sender, browser)
    service = site.api.service
    page = await site.open("/quiz/", "phone")
    await register(site, page, "0912345678", "Nguyễn Thị Hoài Thương", unit="Xã Hòa Lâm")
    await start_and_answer(page, 2)
    await page.click("#grid button >> nth=20")
    await page.fill("#essay-text", "Mỗi thôn một tổ công nghệ số cộng đồng hướng dẫn bà con.")
    await page.wait_for_selector("#saved:has-text('Đã lưu')")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("#submit")
    await page.wait_for_selector("#done:not([hidden])")
    for n, unit in enumerate(["Xã Hòa Lâm", "Xã Đông Lỗ"]):
        entrant = await service.register(f"Thí sinh {n + 2}", unit, f"090000000{n}")
        await service.begin(entrant.id)
        await service.answer(entrant.id, 0, 1)
        await service.write_essay(entrant.id, f"Bài viết số {n + 2} về chuyển đổi số ở xã.")
        await service.finish(entrant.id)
    for judge in ("gk-1", "gk-2", "gk-3"):
        token = next(t for t, holder in site.api.tokens.items() if holder == f"judge:{judge}")
        pad = await site.open(f"/quiz/judge?token={token}", "laptop")
        for n in range(3):
            card = pad.locator("#essays article").nth(n)
            for criterion, mark in (("content", "16"), ("practice", "15"), ("writing", "8")):
                await card.locator(f"input[name={criterion}]").fill(mark)
            await card.locator("button[type=submit]").click()
            await pad.wait_for_selector(f"#progress:has-text('{n + 1}/3')")
        assert pad.errors == []
    book = site.api.book
    assert all(book.essay_mark(e) == Decimal(39) for e in book.attempts)
    assert page.errors == []


async def initiatives(aiohttp_server, browser, db: Path, tmp_path: Path) -> None:
    """Hòa Xá submits on its phone, five units beside it; the desk approves; phones vote; the judges score."""
    sender = ConsoleSender()
    app = create_stage_app(INITIATIVES_FILE, db, sender=sender, rehearsal=True)
    site = QuizSite(await aiohttp_server(app, host="127.0.0.1"), sender, browser)
    api = site.server.app[INITIATIVES]
    service = api.service
    unit = await site.open("/initiatives/", "phone")
    await sign_in(site, unit, "0912000001")
    await submit_on_page(unit, "Tổ công nghệ số cộng đồng", a_picture(tmp_path))
    models = [await service.submit(u, title, "…", f"09120000{n:02d}") for n, (u, title, _, _) in enumerate(MODELS, 2)]

    organizer = next(t for t, h in api.tokens.items() if h == "organizer")
    desk = await site.open(f"/initiatives/desk?token={organizer}", "laptop")
    for n in range(len(MODELS) + 1):
        await desk.locator("#list article:not(:has(.done-mark)) button.primary").first.click()
        await desk.wait_for_selector(f"#list article .done-mark >> nth={n}")  # before the next click
    assert all(i.status == "approved" for i in service.book.initiatives.values())

    voter = await site.open("/initiatives/", "phone")
    await sign_in(site, voter, "cu-tri@example.vn")
    await voter.locator("#cards article:has-text('Tổ công nghệ số cộng đồng') button.primary").click()
    await voter.wait_for_selector("#cards article .voted")
    hoa_xa = next(i.id for i in service.book.initiatives.values() if i.unit == "Xã Hòa Xá")
    for n in range(2):
        await service.vote(hoa_xa, f"09880000{n:02d}")
    for model, (_, _, _, votes) in zip(models, MODELS, strict=True):
        for n in range(votes):
            await service.vote(model.id, f"0977{model.id}{n}")

    token = next(t for t, h in api.tokens.items() if h == "judge:gk-1")
    scoring = await site.open(f"/initiatives/desk?token={token}", "laptop")
    card = scoring.locator("#list article:has-text('Tổ công nghệ số cộng đồng')")
    for criterion, mark in (("impact", "36"), ("novelty", "27"), ("scale", "28")):
        await card.locator(f"input[name={criterion}]").fill(mark)
    await card.locator("button[type=submit]").click()
    await card.locator(".done-mark").wait_for()
    marks = {hoa_xa: (36, 27, 28)} | {m.id: marks for m, (_, _, marks, _) in zip(models, MODELS, strict=True)}
    for judge in ("gk-1", "gk-2", "gk-3"):
        for initiative, points in marks.items():
            if (judge, initiative) != ("gk-1", hoa_xa):
                scores = dict(zip(("impact", "novelty", "scale"), map(Decimal, points), strict=True))
                await service.score(judge, initiative, scores)
    await scoring.reload()
    await scoring.wait_for_selector("#ranking tr.finalist td:has-text('93.70')")  # 0.7 x 91 + 0.3 x 100
    await screenshot(scoring, "ung-hoa-initiatives-ranking-laptop")
    for page in (unit, desk, voter, scoring):
        assert page.errors == [], page.errors


async def staged_final(aiohttp_server, browser, db: Path) -> Studio:
    """The final, live: the hall votes, three judges score both judged rounds on their pads, the end."""
    settings = Settings(config_path=SEASON, db_path=db, obs=False, season_path=SEASON, season_show="chung-ket-1")
    app = create_app(settings)
    studio = Studio(await aiohttp_server(app, host="127.0.0.1"), app, browser)
    config = studio.service.config
    assert config.team_ids == FINALISTS
    board = lambda: studio.service.state.board  # noqa: E731
    producer = await studio.control()
    await producer.wait_for_selector("#season:not([hidden])")
    online = producer.locator(".season-stage:has-text('Mô hình, sáng kiến')")
    assert await online.locator("li.res-advances").count() == 5
    assert "Chợ 4.0" in await online.text_content()
    judges = [await studio.judge(j.id, size="phone") for j in config.judges]
    phones = [await studio.open("/audience", size="phone") for _ in range(2)]

    await producer.click("#start-show")
    await until(lambda: board().phase.value == "live")
    await producer.click("#vote-open")
    for phone in phones:
        await phone.locator('#options button[data-option="hoa-xa"]').click()
        await phone.wait_for_selector("#note:has-text('Đã ghi nhận')")
    await producer.click("#vote-close")
    gap = dict(zip(FINALISTS, range(5), strict=True))  # marks below the maximum, per team
    for index in (0, 1):
        segment = config.rundown[index]
        if index:
            await producer.keyboard.press("PageDown")
            await until(lambda: board().segment == 1)
        for pad in judges:
            for team in FINALISTS:
                card = pad.locator(f'article.card[data-team="{team}"]')
                for criterion in segment.scoring.criteria:
                    value = str(int(criterion.max) - gap[team])
                    await card.locator(f'input[data-criterion="{criterion.id}"]').fill(value)
                await card.locator("button.submit").click()
        await until(lambda s=segment.id: sum(len(v) for v in board().judged[s].scores.values()) == 15, timeout=15)
        await producer.click("#reveal-all")
        await until(lambda s=segment.id: len(board().judged[s].revealed) == 5)
    await producer.keyboard.press("PageDown")
    await until(lambda: board().segment == 2)
    await producer.click("#end-show")
    await producer.click("#dialog-ok")
    await until(lambda: any(r["status"] == "champion" for r in (studio.service.season or {}).get("standings", [])))
    await producer.wait_for_selector("#season-standings li.st-champion[data-team='hoa-xa']")
    await screenshot(producer, "ung-hoa-final-control-laptop")
    # An online stage's points as the stage gave them: entrants counted whole, scores to the hundredth.
    assert await producer.locator(".season-show[data-show='thi-truc-tuyen'] .pts").all_inner_texts() == ["2", "1"]
    assert (await producer.locator(".season-show[data-show='mo-hinh'] .pts").all_inner_texts())[0] == "93,70"
    studio.run(SetOverlay(overlay="bracket", visible=True))  # the season on air: the online stages, then the final
    bracket = await studio.open("/overlay/bracket", size="desktop")
    card = bracket.locator(".show-card:has-text('Mô hình, sáng kiến')")
    await card.locator(".show-status:has-text('Trực tuyến')").wait_for()
    assert await card.locator(".bracket-row").count() == 5
    assert (await card.locator(".br-points").all_inner_texts())[0] == "93,70"
    quiz = bracket.locator(".show-card:has-text('Thi trực tuyến') .br-points")
    assert await quiz.all_inner_texts() == ["2", "1"]
    await bracket.wait_for_function("document.getAnimations().every((a) => a.playState !== 'running')")
    await screenshot(bracket, "ung-hoa-bracket-overlay")
    for page in (producer, *judges, *phones, bracket):
        assert page.errors == [], page.errors
    return studio


async def test_the_ung_hoa_season_from_registration_to_the_staged_final(aiohttp_server, browser, tmp_path) -> None:
    quiz_db, models_db, season_db = tmp_path / "quiz.db", tmp_path / "models.db", tmp_path / "season.db"
    await online_quiz(aiohttp_server, browser, quiz_db)
    await initiatives(aiohttp_server, browser, models_db, tmp_path)

    season = ["season", str(SEASON), "--db", str(season_db)]
    assert main([*season, "rank", "thi-truc-tuyen", "--from", str(quiz_db)]) == 0
    assert main([*season, "rank", "mo-hinh", "--from", str(models_db)]) == 0
    assert main([*season, "confirm", "chung-ket"]) == 0

    await staged_final(aiohttp_server, browser, season_db)
    log = EventLog(season_db)
    try:
        book = SeasonBook.open(SEASON, log)
        quiz = book.state.rankings["thi-truc-tuyen"]
        assert [(r.unit, r.points) for r in quiz.rows] == [("Xã Hòa Lâm", 2), ("Xã Đông Lỗ", 1)]
        assert book.state.lineups["chung-ket"].lineups == (FINALISTS,)
        result = book.state.result("chung-ket", 0)
        assert result is not None and result.teams[0].team == "hoa-xa"
        champion = next(r for r in book.view()["standings"] if r["status"] == "champion")
        assert champion["team"] == "hoa-xa"
    finally:
        log.close()
