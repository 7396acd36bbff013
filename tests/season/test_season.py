"""Whole seasons played through the engine, and the season's rules on results made by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from server.core.errors import ShowError
from server.core.season import rules
from server.core.season.config import SeasonConfig
from server.core.season.events import LineupsConfirmed, ResultRecorded, SeasonState, apply
from server.core.season.results import ShowResult, TeamResult
from server.log.store import EventLog
from server.season.book import SeasonBook
from server.season.parse import load_season
from server.season.sim import play_season

ROOT = Path(__file__).resolve().parents[2]
QUANG_NAM = ROOT / "show_configs" / "quang-nam-2024.season.yaml"
OLYMPIA = ROOT / "show_configs" / "olympia-2025.season.yaml"


@pytest.fixture
def book(tmp_path: Path):
    log = EventLog(tmp_path / "season.db")
    yield SeasonBook.open(QUANG_NAM, log, clock=lambda: 1_718_000_000_000)
    log.close()


def winner(result: ShowResult, speed: bool = True) -> TeamResult:
    """The team the show put first: most points, then the speed-round total (if the season's
    ranking has it), then sudden death (the order the show gave the teams still level)."""
    best = max(r.points for r in result.teams)
    top = [r for r in result.teams if r.points == best]
    if len(top) > 1 and speed:
        speed = max(r.speed_points for r in top)
        top = [r for r in top if r.speed_points == speed]
    return min(top, key=lambda r: r.place)


def test_a_whole_quang_nam_season_goes_by_the_rules(book: SeasonBook) -> None:
    play_season(book, seed=11)
    state = book.state
    season = book.season
    # The draw: 17 teams, each once, into 6 shows of 3, 3, 3, 3, 3 and 2.
    draw = state.lineups["vl"]
    assert draw.seed is not None and not draw.by_hand
    assert [len(show) for show in draw.lineups] == [3, 3, 3, 3, 3, 2]
    assert sorted(t for show in draw.lineups for t in show) == sorted(t.id for t in season.teams)
    # Semi-finals: the winners of qualifiers 1-3, and of 4-6.
    qualifier_winners = [winner(state.result("vl", i)).team for i in range(6)]
    assert state.lineups["bk"].lineups == (tuple(qualifier_winners[:3]), tuple(qualifier_winners[3:]))
    # Final: both semi-final winners and the semi-final runner-up with the most points.
    semis = [state.result("bk", i) for i in range(2)]
    semi_winners = [winner(s).team for s in semis]
    runners_up = [next(r for r in s.teams if r.place == 2) for s in semis]
    best = max(runners_up, key=lambda r: (r.points, r.speed_points))
    assert state.lineups["ck"].lineups == ((*semi_winners, best.team),)
    # Every show was played with the confirmed teams, and the final has a champion.
    for stage in season.stages:
        for index in range(stage.shows):
            assert sorted(t.team for t in state.result(stage.id, index).teams) == sorted(
                state.lineups[stage.id].lineups[index]
            )
    view = book.view()
    champion = winner(state.result("ck", 0)).team
    assert view["standings"][0] == {**view["standings"][0], "team": champion, "rank": 1, "status": "champion"}
    assert {r["team"] for r in view["standings"] if r["played"] == 1} == {
        t.id for t in season.teams if t.id not in qualifier_winners
    }
    assert all(r["status"] == "out" for r in view["standings"] if r["played"] == 1)
    assert view["next"] == []


def test_a_season_replays_from_its_log_and_the_same_seeds_give_the_same_season(tmp_path: Path, book) -> None:
    play_season(book, seed=5)
    again = SeasonBook(book.season, book.log)
    assert again.state == book.state
    other = EventLog(tmp_path / "other.db")
    try:
        twin = SeasonBook.open(QUANG_NAM, other, clock=book.clock)
        play_season(twin, seed=5)
        assert twin.state.lineups == book.state.lineups
        assert twin.view() == book.view()
    finally:
        other.close()


def test_an_olympia_season_takes_the_weekly_winners_and_the_best_runner_up(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "olympia.db")
    try:
        book = SeasonBook.open(OLYMPIA, log)
        play_season(book, seed=3)
        state = book.state
        for month in range(2):
            weeks = [state.result("tuan", w) for w in range(3 * month, 3 * month + 3)]
            winners = [winner(w, speed=False).team for w in weeks]
            seconds = [next(r for r in w.teams if r.place == 2) for w in weeks]
            best = min(seconds, key=lambda r: (-r.points, r.answer_ms))
            assert state.lineups["thang"].lineups[month] == (*winners, best.team)
        months = [state.result("thang", m) for m in range(2)]
        seconds = sorted(
            (next(r for r in m.teams if r.place == 2) for m in months), key=lambda r: (-r.points, r.answer_ms)
        )
        assert state.lineups["chung-ket"].lineups == (
            (*(winner(m, speed=False).team for m in months), *(r.team for r in seconds)),
        )
    finally:
        log.close()


# -- the rules on results made by hand ----------------------------------------------------------


def result(show: str, *rows: tuple[str, int, int]) -> ShowResult:
    """A show's result: (team, points, speed points) best first."""
    teams = tuple(
        TeamResult(team, team.upper(), Decimal(points), place, Decimal(speed))
        for place, (team, points, speed) in enumerate(rows, 1)
    )
    return ShowResult(show, 0, (), (), {}, teams)


def after_semis(season: SeasonConfig, runner_up_1: tuple[int, int], runner_up_2: tuple[int, int]) -> SeasonState:
    """The Quảng Nam season after its semi-finals, the two runners-up with (points, speed points)."""
    teams = [t.id for t in season.teams]
    state = SeasonState()
    qualifiers = rules.deal(teams, 6)
    state = apply(state, LineupsConfirmed(0, "test", "vl", qualifiers, 1))
    for i, show in enumerate(qualifiers):
        rows = [(t, 100 - 10 * n, 0) for n, t in enumerate(show)]
        state = apply(state, ResultRecorded(0, "test", "vl", i, result(f"vl-{i}", *rows)))
    semis = (tuple(s[0] for s in qualifiers[:3]), tuple(s[0] for s in qualifiers[3:]))
    state = apply(state, LineupsConfirmed(0, "test", "bk", semis))
    for i, (show, second) in enumerate(zip(semis, (runner_up_1, runner_up_2), strict=True)):
        rows = [(show[0], 200, 0), (show[1], *second), (show[2], 10, 0)]
        state = apply(state, ResultRecorded(0, "test", "bk", i, result(f"bk-{i}", *rows)))
    return state


def test_a_tie_for_best_runner_up_goes_to_the_next_rule_then_to_a_draw_kept_in_the_log() -> None:
    season = load_season(QUANG_NAM)

    # Equal points: the speed-round total decides.
    state = after_semis(season, (150, 40), (150, 30))
    proposal = rules.propose(season, state, "ck")
    assert proposal.draw == () and proposal.lineups is not None
    runner_up = proposal.lineups[0][2]
    assert runner_up == state.result("bk", 0).teams[1].team

    # Equal on every rule: a draw decides, made with the seed given on confirm and kept with it.
    state = after_semis(season, (150, 40), (150, 40))
    tied = {state.result("bk", 0).teams[1].team, state.result("bk", 1).teams[1].team}
    proposal = rules.propose(season, state, "ck")
    assert proposal.lineups is None and set(proposal.draw[0]) == tied
    picks = {}
    for seed in range(20):
        event = rules.confirm(season, state, "ck", 0, "producer", seed=seed)
        assert event.seed == seed  # the seed is in the log: replaying gives the same final
        assert rules.confirm(season, state, "ck", 0, "producer", seed=seed) == event
        picks[seed] = event.lineups[0][2]
        assert picks[seed] in tied
    assert set(picks.values()) == tied  # the draw is not rigged: either team can come out

    # No draw among the rules: the producer must decide by hand, with a reason.
    no_draw = SeasonConfig(**{**{f: getattr(season, f) for f in season.__struct_fields__}, "compare": ("points",)})
    proposal = rules.propose(no_draw, state, "ck")
    assert proposal.lineups is None and "by hand" in proposal.problem
    assert proposal.problem_words and "bằng tay" in proposal.problem_words.text("vi")
    with pytest.raises(ShowError, match="by hand"):
        rules.confirm(no_draw, state, "ck", 0, "producer", seed=1)
    lineup = (state.result("bk", 0).teams[0].team, state.result("bk", 1).teams[0].team, sorted(tied)[0])
    with pytest.raises(ShowError, match="reason"):
        rules.confirm(no_draw, state, "ck", 0, "producer", lineups=(lineup,))
    event = rules.confirm(no_draw, state, "ck", 0, "producer", lineups=(lineup,), reason="Câu hỏi phụ ngoài sóng")
    assert event.by_hand and event.reason == "Câu hỏi phụ ngoài sóng" and event.lineups == (lineup,)


def test_an_upheld_appeal_changes_the_places_and_who_goes_on(book: SeasonBook) -> None:
    play_season(book, seed=11, until="bk")
    state = book.state
    seconds = [next(r for r in state.result("bk", i).teams if r.place == 2) for i in range(2)]
    loser, leader = sorted(seconds, key=lambda r: (r.points, r.speed_points))
    before = rules.propose(book.season, state, "ck").lineups
    assert before is not None and leader.team in before[0] and loser.team not in before[0]
    where = next(i for i in range(2) if any(r.team == loser.team for r in state.result("bk", i).teams))
    gap = leader.points - loser.points + 1
    book.correct("bk", where, loser.team, gap, "Khiếu nại được chấp nhận: câu 3 phần Tăng tốc chấm sai")
    after = rules.propose(book.season, book.state, "ck").lineups
    assert after is not None and loser.team in after[0] and leader.team not in after[0]
    row = next(r for r in rules.table(book.season, book.state, "bk", where) if r.team == loser.team)
    assert row.points == loser.points + gap and row.correction == gap
    standing = next(r for r in book.view()["standings"] if r["team"] == loser.team)
    played = sum(t.points for res in book.state.results.values() for t in res.teams if t.team == loser.team)
    assert Decimal(str(standing["points"])) == played + gap
    # A correction that would let a team overtake the semi-final winner re-ranks the show too.
    semi_winner = state.result("bk", where).teams[0]
    book.correct("bk", where, loser.team, semi_winner.points, "Phúc khảo phần thi Sáng tạo số")
    table = rules.table(book.season, book.state, "bk", where)
    assert table[0].team == loser.team and table[0].place == 1
    assert sum(1 for c in book.state.corrections if c.team == loser.team) == 2
    # A correction after the final's line-up was confirmed that changes who should be in it: the
    # season says so (the organizers decide), and the confirmed line-up stays.
    book.confirm("ck")
    assert book.view()["conflicts"] == []
    book.correct("bk", 1 - where, leader.team, Decimal(400), "Phúc khảo: cộng điểm phần thi Kỹ năng số")
    conflict = book.view()["conflicts"]
    assert [c["stage"] for c in conflict] == ["ck"] and leader.team in conflict[0]["rules"][0]
    assert leader.team not in book.state.lineups["ck"].lineups[0]
    # Reloaded from the database, the corrections are still there, with their reasons.
    again = SeasonBook(book.season, book.log)
    assert [c.reason for c in again.state.corrections] == [c.reason for c in book.state.corrections]


def test_refused_season_commands_change_nothing(book: SeasonBook) -> None:
    play_season(book, seed=2, until="vl")
    seq = book.state.seq
    bad = [
        lambda: book.confirm("vl"),  # already played
        lambda: book.confirm("nope"),
        lambda: book.confirm("ck"),  # the semi-finals are not played yet
        lambda: book.correct("bk", 0, "tam-ky", Decimal(5), "x"),  # not played
        lambda: book.correct("vl", 0, "nobody", Decimal(5), "lý do"),
        lambda: book.correct("vl", 0, book.state.lineups["vl"].lineups[0][0], Decimal(0), "lý do"),
        lambda: book.correct("vl", 0, book.state.lineups["vl"].lineups[0][0], Decimal(5), "   "),
        lambda: book.correct("vl", 9, "tam-ky", Decimal(5), "lý do"),
        lambda: book.confirm("bk", lineups=(("tam-ky", "tam-ky"), ("hoi-an", "dien-ban")), reason="tay"),
        lambda: book.confirm("bk", lineups=(("tam-ky", "ghost"), ("hoi-an", "dien-ban")), reason="tay"),
        lambda: book.confirm("bk", lineups=(("tam-ky",),), reason="tay"),
    ]
    for attempt in bad:
        with pytest.raises(ShowError) as caught:
            attempt()
        assert caught.value.message and caught.value.vi and caught.value.key != "common.said"
        assert book.state.seq == seq
    assert "waiting for" in _message(lambda: book.confirm("ck"))
    assert "has been played" in _message(lambda: book.confirm("vl"))


def _message(attempt) -> str:
    try:
        attempt()
    except ShowError as exc:
        return exc.message
    raise AssertionError("not refused")


def test_a_draw_fixed_by_hand_must_place_every_team_once(book: SeasonBook) -> None:
    teams = [t.id for t in book.season.teams]
    shows = rules.deal(teams, 6)
    with pytest.raises(ShowError, match="missing"):
        book.confirm("vl", lineups=(*shows[:4], shows[4][:2], shows[5]), reason="Bốc thăm tại hội trường")
    event = book.confirm("vl", lineups=shows, reason="Bốc thăm trực tiếp tại hội trường")
    assert event.by_hand and book.state.lineups["vl"].lineups == shows
    assert book.show_config("vl", 5).teams == tuple(book.season.team(t) for t in shows[5])


def test_runners_up_level_on_points_in_a_played_season_are_split_by_the_speed_round(book: SeasonBook) -> None:
    play_season(book, seed=11, until="bk")
    seconds = [(i, next(r for r in book.state.result("bk", i).teams if r.place == 2)) for i in range(2)]
    (low_show, low), (_, high) = sorted(seconds, key=lambda s: s[1].points)
    book.correct("bk", low_show, low.team, high.points - low.points, "Phúc khảo: hai đội nhì bằng điểm")
    rows = [next(r for r in rules.table(book.season, book.state, "bk", i) if r.team == t.team) for i, t in seconds]
    assert rows[0].points == rows[1].points
    proposal = rules.propose(book.season, book.state, "ck")
    if rows[0].speed_points == rows[1].speed_points:  # level on the speed round too: a draw decides
        assert proposal.draw and set(proposal.draw[0]) == {low.team, high.team}
    else:
        faster = max(rows, key=lambda r: r.speed_points)
        assert proposal.lineups is not None and proposal.lineups[0][2] == faster.team
