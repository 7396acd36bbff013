"""Properties over random command sequences, valid and invalid, across every round type."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.core import commands as c
from server.core.apply import undoable
from server.core.errors import RuleError
from server.core.events import Action
from server.core.show import execute, replay
from server.core.state import QPhase, ShowPhase, ShowState, tally
from tests.core.play import make_config

CONFIG = make_config(
    "judged",
    "turns",
    "speed",
    "buzzer",
    "packages",
    "audience",
    judged="audience_share: 0.3",
    turns="steal: {points: 5, penalty: 5}",
    packages="steal: {take_from_turn: true, penalty_share: 0.5}",
    buzzer="penalty: 5",
)
TEAMS = [*CONFIG.team_ids, "nobody"]
ACTORS = [c.PRODUCER, c.SYSTEM, c.Actor("audience"), *(c.Actor("team", t) for t in TEAMS[:3])]
JUDGES = [j.id for j in CONFIG.judges]
AUDIENCE = c.Actor("audience")


def team_actor(team: str) -> st.SearchStrategy[c.Actor]:
    return st.sampled_from([c.Actor("team", team), c.Actor("team", team), c.PRODUCER, c.Actor("team", "a")])


@st.composite
def commands(draw: st.DrawFn) -> tuple[type[c.Command], dict]:
    """A command kind and its fields, biased towards what a show does, sometimes nonsense."""
    team = draw(st.sampled_from(TEAMS))
    kind = draw(
        st.sampled_from(
            [c.ShowQuestion, c.OpenAnswers, c.OpenAnswers, c.CloseAnswers, c.RevealAnswer, c.Buzz, c.Buzz]
            + [c.SubmitAnswer, c.JudgeAnswer, c.JudgeAnswer, c.GotoSegment, c.GotoSegment, c.SubmitScores]
            + [c.RevealScores, c.LockScores, c.OpenVoting, c.CloseVoting, c.CastVotes, c.ChoosePackage]
            + [c.PlaceStar, c.AdjustScore, c.Undo, c.Undo, c.Redo, c.StartTimer, c.PauseTimer, c.ResumeTimer]
            + [c.AddTime, c.Expire, c.ResetQuestion, c.StartTiebreak, c.EndShow, c.StartShow, c.UnlockScores]
            + [c.SetOverlay, c.ShowLowerThird]
        )
    )
    fields: dict = {}
    if kind is c.GotoSegment:
        fields["index"] = draw(st.integers(-1, len(CONFIG.rundown)))
    elif kind in (c.Buzz, c.PlaceStar):
        fields = {"team": team, "by": draw(team_actor(team))}
    elif kind is c.SubmitAnswer:
        answer = draw(st.sampled_from(["A", "b", "C", "D", "Đề án 06", "", "x" * 400]))
        fields = {"team": team, "answer": answer, "by": draw(team_actor(team))}
    elif kind is c.JudgeAnswer:
        fields = {"team": team, "correct": draw(st.booleans())}
    elif kind is c.SubmitScores:
        judge = draw(st.sampled_from([*JUDGES, "j9"]))
        content = draw(st.decimals(min_value=-1, max_value=11, places=1))
        fields = {"judge": judge, "team": team, "scores": {"content": content, "style": Decimal(3)}}
        fields["by"] = draw(st.sampled_from([c.Actor("judge", judge), c.PRODUCER, c.Actor("judge", "j1")]))
    elif kind in (c.RevealScores, c.LockScores, c.UnlockScores):
        fields["team"] = draw(st.sampled_from([None, team]))
    elif kind is c.CastVotes:
        votes = draw(
            st.lists(
                st.tuples(st.sampled_from(["p1", "p2", "p3", "p4", ""]), st.sampled_from(["A", "B", "a", "b", "c"])),
                max_size=4,
            )
        )
        fields["votes"] = tuple(c.Vote(device, option, 0, "<i>x</i>") for device, option in votes)
        fields["by"] = c.Actor("audience")
    elif kind is c.ChoosePackage:
        values = draw(st.lists(st.sampled_from([10, 20, 30, 40]), min_size=1, max_size=2))
        fields = {"team": team, "values": tuple(Decimal(v) for v in values), "by": draw(team_actor(team))}
    elif kind is c.AdjustScore:
        fields = {
            "team": team,
            "points": draw(st.decimals(-20, 20, places=2)),
            "reason": draw(st.sampled_from(["", "phúc khảo"])),
        }
    elif kind is c.AddTime:
        fields["ms"] = draw(st.integers(-20000, 20000))
    elif kind is c.StartTimer:
        fields["duration_ms"] = draw(st.sampled_from([None, 0, 5000]))
    elif kind is c.RevealAnswer:
        fields["seed"] = draw(st.sampled_from([None, 7]))
    elif kind is c.StartTiebreak:
        fields["teams"] = tuple(draw(st.lists(st.sampled_from(TEAMS), max_size=3)))
    elif kind is c.Expire:
        fields["by"] = c.SYSTEM
    elif kind is c.SetOverlay:
        fields = {
            "overlay": draw(st.sampled_from(["scoreboard", "lower_third", "nope"])),
            "visible": draw(st.booleans()),
        }
    elif kind is c.ShowLowerThird:
        key, value = draw(
            st.sampled_from([("team", team), ("member", "m1"), ("judge", "j1"), ("name", "<b>Khách</b>")])
        )
        fields = {key: value}
    if "by" not in fields:
        fields["by"] = draw(st.sampled_from([c.PRODUCER] * 6 + ACTORS))
    return kind, fields


def plausible(draw: st.DrawFn, state: ShowState) -> tuple[type[c.Command], dict]:
    """A command that the show as it stands would likely accept, so sequences go deep."""
    board, q = state.board, state.board.question
    segment = CONFIG.rundown[board.segment] if 0 <= board.segment < len(CONFIG.rundown) else None
    pick = lambda options: draw(st.sampled_from(options))  # noqa: E731
    team = pick(list(q.eligible) if q and q.eligible else list(CONFIG.team_ids))
    nxt = (c.GotoSegment, {"index": min(board.segment + 1, len(CONFIG.rundown) - 1)})
    if board.phase is ShowPhase.ENDED:
        return pick(
            [(c.AdjustScore, {"team": team, "points": Decimal(5), "reason": "phúc khảo"}), (c.Undo, {}), (c.Undo, {})]
        )
    if q is None or q.phase in (QPhase.CLOSED, QPhase.REVEALED):
        options = [(c.ShowQuestion, {})] * 2 + [(c.EndShow, {}) if board.segment == 5 else nxt]
        if q is not None and q.phase is QPhase.CLOSED:
            options += [(c.RevealAnswer, {"seed": 3})] * 3
        if segment is not None and segment.round.value == "judged":
            scored = board.judged.get(segment.id)
            missing = [
                (j, t) for j in JUDGES for t in CONFIG.team_ids if not scored or t not in scored.scores.get(j, {})
            ]
            judge, team = pick(missing) if missing else (pick(JUDGES), team)
            scores = {"content": Decimal(draw(st.integers(0, 20))) / 2, "style": Decimal(draw(st.integers(0, 5)))}
            submit = (c.SubmitScores, {"judge": judge, "team": team, "scores": scores, "by": c.Actor("judge", judge)})
            if missing:
                options = [submit] * 8 + [(c.OpenVoting, {}), (c.CloseVoting, {}), nxt]
            else:
                options = [(c.RevealScores, {})] * 4 + [(c.CloseVoting, {}), submit, (c.LockScores, {}), nxt]
            options.append((c.CastVotes, {"votes": (c.Vote(pick(["p1", "p2", "p3"]), team, 0),), "by": AUDIENCE}))
        if segment is not None and segment.round.value == "packages":
            values = (Decimal(pick([10, 20, 30])),)
            options += [(c.ChoosePackage, {"team": team, "values": values, "by": c.Actor("team", team)})] * 2
        return pick(options)
    if q.phase is QPhase.READY:
        turn = q.turn or team
        return pick([(c.OpenAnswers, {}), (c.PlaceStar, {"team": turn, "by": c.Actor("team", turn)})])
    if q.phase is QPhase.ANSWERING:
        return pick([(c.JudgeAnswer, {"team": q.floor, "correct": draw(st.booleans())})] * 3 + [(c.CloseAnswers, {})])
    vote = (c.CastVotes, {"votes": (c.Vote(pick(["p1", "p2", "p3", "p4"]), pick(["A", "B"]), 0),), "by": AUDIENCE})
    buzz = (c.Buzz, {"team": team, "by": c.Actor("team", team)})
    return pick(
        [
            buzz,
            buzz,
            buzz,
            (c.SubmitAnswer, {"team": team, "answer": pick(["A", "B", "Đề án 06"]), "by": c.Actor("team", team)}),
            (c.JudgeAnswer, {"team": q.turn or q.floor or team, "correct": draw(st.booleans())}),
            (c.CloseAnswers, {}),
            (c.Expire, {"by": c.SYSTEM}),
            vote,
            vote,
        ]
    )


def award_sums(state: ShowState) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for award in state.board.awards:
        sums[award.team] = sums.get(award.team, Decimal(0)) + award.points
    return sums


def play(data: st.DataObject, length: int) -> tuple[ShowState, list[Action], Counter]:
    """Play random steps, checking the per-step properties; returns the final state and its log."""
    state, actions, now, accepted = ShowState(), [], 1_000_000, Counter()
    state, first = execute(CONFIG, state, c.StartShow(at=now))
    actions.append(first)
    for _ in range(length):
        now += data.draw(st.integers(0, 6000))
        if data.draw(st.integers(0, 9)) < 8:
            kind, fields = plausible(data.draw, state)
        else:
            kind, fields = data.draw(commands())
        if kind is c.CastVotes:
            fields = {**fields, "votes": tuple(msgspec.structs.replace(v, at=now) for v in fields["votes"])}
        try:
            new, action = execute(CONFIG, state, kind(at=now, **fields))
        except RuleError:
            continue  # a refused command changes nothing: state is an immutable value
        if undoable(action):
            undone, _ = execute(CONFIG, new, c.Undo(at=now))
            assert undone.board == state.board, f"undo of {action.label} did not restore the state"
            assert undone.ballots == new.ballots
        state = new
        actions.append(action)
        accepted[kind.__name__] += 1
        assert {t: v for t, v in state.board.scores.items() if v or t in award_sums(state)} == award_sums(state)
        assert all(
            tally(state, key) == dict(Counter(b.option for b in box.values())) for key, box in state.ballots.items()
        )
    return state, actions, accepted


PROFILE = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
REACHED: Counter = Counter()


@PROFILE
@given(data=st.data())
def test_replay_undo_and_scores(data: st.DataObject) -> None:
    state, actions, accepted = play(data, data.draw(st.integers(1, 250)))
    REACHED.update(accepted)
    # Replaying the log gives the live state, also after a trip through the log's encoding.
    assert replay(actions) == state
    encoded = [msgspec.json.encode(a) for a in actions]
    assert replay(msgspec.json.decode(b, type=Action) for b in encoded) == state
    # A snapshot round-trips exactly, and folding the rest on top of a mid-way snapshot agrees.
    middle = len(actions) // 2
    snapshot = msgspec.msgpack.decode(msgspec.msgpack.encode(replay(actions[:middle])), type=ShowState)
    assert replay(actions[middle:], snapshot) == state


def test_random_play_reached_every_round() -> None:
    """Guards the generator: the property test above must really exercise the rules."""
    for kind in ("Buzz", "SubmitAnswer", "JudgeAnswer", "RevealScores", "PlaceStar", "ChoosePackage", "CastVotes"):
        assert REACHED[kind] > 0, f"random play never got a {kind} accepted: {dict(REACHED)}"


def test_simulated_shows_replay_exactly() -> None:
    from server.show.sim import simulate

    for seed in range(5):
        runner = simulate(CONFIG, seed=seed, audience=20)
        assert replay(runner.actions) == runner.state
        assert runner.state.board.phase.value == "ended"
        assert award_sums(runner.state) == {t: v for t, v in runner.state.board.scores.items()}
