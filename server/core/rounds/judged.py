"""Judged rounds: judges' criteria scores, locking, the audience's share, and the reveal."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from msgspec import Struct

from server.core import commands as c
from server.core import events as ev
from server.core.errors import InvalidCommand, RuleError
from server.core.rounds.base import (
    Capabilities,
    Ctx,
    Round,
    Segment,
    Settings,
    ShowConfig,
    number,
    read,
    settings_of,
    tally_view,
)
from server.core.state import Award, JudgedProgress, QuestionState, ShowState, VotePhase, poll_key, tally
from server.core.totals import totals

ZERO = Decimal(0)


class Criterion(Struct, frozen=True):
    id: Annotated[str, read("ident")]
    name: Annotated[str, read("str")]
    max: Annotated[Decimal, read("decimal", lo=Decimal("0.5"), hi=Decimal(1000))]


def _trimmed(aggregate: str) -> bool:
    return aggregate == "trimmed_mean"


class JudgedScoring(Settings, frozen=True, tag="judged"):
    criteria: Annotated[tuple[Criterion, ...], read("items", item=Criterion, noun="criterion", lo=1, hi=10)]
    # drop the highest and the lowest judge
    trimmed: Annotated[bool, read("choice", key="aggregate", choices=("mean", "trimmed_mean"), convert=_trimmed)] = (
        False
    )
    audience_share: Annotated[Decimal, read("share")] = Decimal(0)  # 0..1 of the round from audience votes
    decimals: Annotated[int, read("int", lo=0, hi=3)] = 2

    @property
    def max_total(self) -> Decimal:
        return sum((c.max for c in self.criteria), Decimal(0))


def judged_points(
    scoring: JudgedScoring,
    judge_totals: list[Decimal],
    votes: Mapping[str, int],
    team: str,
) -> Decimal:
    """A team's judged-round points: judges' (trimmed) mean, plus the audience's share.

    Audience votes are normalised across teams: the most-voted team gets the whole share.
    If nobody voted at all (the phones failed), the judges' mean counts in full.
    """
    totals = sorted(judge_totals)
    if scoring.trimmed and len(totals) >= 3:
        totals = totals[1:-1]
    mean = sum(totals, ZERO) / len(totals) if totals else ZERO
    share = scoring.audience_share
    top = max(votes.values(), default=0)
    points = mean
    if share and top:
        points = mean * (1 - share) + scoring.max_total * share * Decimal(votes.get(team, 0)) / Decimal(top)
    return points.quantize(Decimal(1).scaleb(-scoring.decimals), rounding=ROUND_HALF_UP)


def _progress(x: Ctx, segment: Segment) -> JudgedProgress:
    return x.board.judged.get(segment.id, JudgedProgress())


def _teams(x: Ctx, team: str | None) -> tuple[str, ...]:
    return (x.team(team).id,) if team is not None else x.config.team_ids


def _points(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"


class Judged(Round):
    name = "judged"
    settings = JudgedScoring
    needs_questions = False  # a judged segment may show a topic, or nothing

    def capabilities(self, config: ShowConfig, segment: Segment) -> Capabilities:
        votes = bool(settings_of(segment, JudgedScoring).audience_share)
        return Capabilities(questions=bool(segment.slots), judged=True, votes=votes)

    def check_settings(self, scoring: Any, judges: int) -> list[tuple[str | None, str]]:
        problems: list[tuple[str | None, str]] = []
        if not judges:
            problems.append((None, "a judged round needs judges; add them under 'judges'"))
        if scoring.trimmed and judges < 3:
            problems.append(("aggregate", f"trimmed_mean needs at least 3 judges, the show has {judges}"))
        return problems

    def decimals(self, segment: Segment) -> int | None:
        return settings_of(segment, JudgedScoring).decimals

    def criteria(self, segment: Segment) -> tuple[Criterion, ...]:
        return settings_of(segment, JudgedScoring).criteria

    def open_answers(self, x: Ctx, segment: Segment) -> None:
        raise RuleError("rule.judged_takes_no_answers")

    # -- the judges' panel ---------------------------------------------------------------------

    def submit_scores(self, x: Ctx, segment: Segment, cmd: c.SubmitScores) -> list[ev.Event]:
        scoring, progress = settings_of(segment, JudgedScoring), _progress(x, segment)
        team = x.team(cmd.team)
        if team.id in progress.locked:
            raise RuleError("rule.scores_locked", team=team.name)
        wanted = {criterion.id: criterion for criterion in scoring.criteria}
        if set(cmd.scores) != set(wanted):
            raise InvalidCommand("rule.scores_expected", criteria=", ".join(wanted))
        for key, value in cmd.scores.items():
            x.check_points(value, f"scores.{key}")
            if not 0 <= value <= wanted[key].max:
                raise InvalidCommand("rule.score_range", criterion=key, max=wanted[key].max, value=value)
        return [ev.ScoresSubmitted(segment.id, cmd.judge, team.id, dict(cmd.scores))]

    def lock_scores(self, x: Ctx, segment: Segment, cmd: c.LockScores | c.UnlockScores) -> list[ev.Event]:
        progress = _progress(x, segment)
        locking = isinstance(cmd, c.LockScores)
        teams = _teams(x, cmd.team)
        if not locking and any(t in progress.revealed for t in teams):
            raise RuleError("rule.revealed_cant_unlock")
        changing = tuple(t for t in teams if (t in progress.locked) != locking)
        if not changing:
            raise RuleError("rule.scores_already_locked" if locking else "rule.scores_already_unlocked")
        return [ev.ScoresLocked(segment.id, changing, locking)]

    def reveal_scores(self, x: Ctx, segment: Segment, cmd: c.RevealScores) -> list[ev.Event]:
        scoring, progress = settings_of(segment, JudgedScoring), _progress(x, segment)
        teams = tuple(t for t in _teams(x, cmd.team) if t not in progress.revealed)
        if not teams:
            raise RuleError("rule.scores_already_revealed")
        if progress.voting is VotePhase.OPEN:
            raise RuleError("rule.close_vote_first")
        for team in teams:
            missing = [j.name for j in x.config.judges if team not in progress.scores.get(j.id, {})]
            if missing:
                name = x.team_name(team)
                raise RuleError("rule.not_scored_yet", judge=missing[0], team=name)
        votes = tally(x.state, poll_key(segment.id, progress.vote_epoch))
        out: list[ev.Event] = []
        unlocked = tuple(t for t in teams if t not in progress.locked)
        if unlocked:
            out.append(ev.ScoresLocked(segment.id, unlocked, True))
        out.append(ev.ScoresRevealed(segment.id, teams))
        for team in teams:
            totals = [sum(progress.scores[j][team].values(), Decimal(0)) for j in x.config.judge_ids]
            points = judged_points(scoring, totals, votes, team)
            award = Award(x.state.seq + 1, team, points, "judged", segment.id, None)
            out.append(ev.PointsAwarded(award))
        return out

    def voting(self, x: Ctx, segment: Segment, cmd: c.OpenVoting | c.CloseVoting) -> list[ev.Event]:
        scoring, progress = settings_of(segment, JudgedScoring), _progress(x, segment)
        if not scoring.audience_share:
            raise RuleError("rule.no_audience_vote", title=segment.title)
        if isinstance(cmd, c.OpenVoting):
            if progress.voting is VotePhase.OPEN:
                raise RuleError("rule.vote_already_open")
            if progress.revealed:
                raise RuleError("rule.vote_cant_reopen")
            return [ev.VotingChanged(segment.id, VotePhase.OPEN, progress.vote_epoch)]
        if progress.voting is not VotePhase.OPEN:
            raise RuleError("rule.audience_vote_not_open")
        return [ev.VotingChanged(segment.id, VotePhase.CLOSED, progress.vote_epoch)]

    def open_poll(
        self, x: Ctx, segment: Segment, question: QuestionState | None
    ) -> tuple[str, tuple[str, ...], int | None, int | None] | None:
        progress = _progress(x, segment)
        if progress.voting is VotePhase.OPEN:
            return poll_key(segment.id, progress.vote_epoch), x.config.team_ids, None, None
        return None

    # -- the views -------------------------------------------------------------------------------

    def poll_view(self, config: ShowConfig, state: ShowState, segment: Segment) -> dict[str, Any] | None:
        if not settings_of(segment, JudgedScoring).audience_share:
            return None
        progress = state.board.judged.get(segment.id, JudgedProgress())
        if progress.voting is VotePhase.IDLE:
            return None
        key = poll_key(segment.id, progress.vote_epoch)
        return {
            "id": key,
            "kind": "team_vote",
            "text": segment.title,
            "options": {t.id: t.name for t in config.teams},
            "open": progress.voting is VotePhase.OPEN,
            "answer": None,
            "tally": tally_view(state, key) if progress.voting is VotePhase.CLOSED else None,
            "winners": [],
            "timer": None,
        }

    def progress_view(
        self, config: ShowConfig, state: ShowState, segment: Segment, producer: bool
    ) -> dict[str, Any] | None:
        scoring = settings_of(segment, JudgedScoring)
        progress = state.board.judged.get(segment.id, JudgedProgress())
        visible = set(config.team_ids) if producer else progress.revealed
        results = totals(state.board.awards).judged.get(segment.id, {})
        scores = {
            judge: {team: {k: number(v) for k, v in s.items()} for team, s in by_team.items() if team in visible}
            for judge, by_team in progress.scores.items()
        }
        submitted = {judge: sorted(by_team) for judge, by_team in progress.scores.items()}
        return {
            "criteria": [{"id": c.id, "name": c.name, "max": number(c.max)} for c in scoring.criteria],
            "submitted": submitted,
            "scores": scores,
            "locked": sorted(progress.locked),
            "revealed": sorted(progress.revealed),
            "results": {team: number(points) for team, points in results.items() if team in progress.revealed},
            "voting": progress.voting.value,
            "tally": tally_view(state, poll_key(segment.id, progress.vote_epoch)),
            "audience_share": number(scoring.audience_share),
        }

    # -- reports and the simulator --------------------------------------------------------------

    def summary(self, segment: Segment) -> str | None:
        scoring = settings_of(segment, JudgedScoring)
        detail = ", ".join(f"{c.name} /{_points(c.max)}" for c in scoring.criteria)
        if scoring.audience_share:
            detail += f"; audience {(scoring.audience_share * 100).normalize():f}%"
        return detail

    def clock_ms(self, config: ShowConfig, segment: Segment) -> int:
        return segment.timer_ms or 0

    def simulate(self, sim: Any, segment: Segment) -> None:
        scoring = settings_of(segment, JudgedScoring)
        if segment.slots:
            sim.cmd(c.ShowQuestion)
        if scoring.audience_share:
            sim.cmd(c.OpenVoting)
            sim.votes(sim.config.team_ids)
            sim.cmd(c.CloseVoting)
        for judge in sim.config.judges:
            for team in sim.config.teams:
                scores = {k.id: Decimal(sim.rng.randint(int(k.max), int(k.max * 2))) / 2 for k in scoring.criteria}
                sim.cmd(c.SubmitScores, by=c.Actor("judge", judge.id), judge=judge.id, team=team.id, scores=scores)
        sim.cmd(c.RevealScores)


ROUND = Judged()
