"""Judged rounds: judges' criteria scores, locking, the audience's share, and the reveal."""

from __future__ import annotations

from decimal import Decimal

from server.core import commands as c
from server.core import events as ev
from server.core.config import JudgedScoring, Segment
from server.core.context import Ctx, check_points
from server.core.errors import Forbidden, InvalidCommand, NotFound, RuleError, quote
from server.core.scoring import judged_points
from server.core.state import Award, JudgedProgress, ShowState, VotePhase, poll_key


def _judged(x: Ctx) -> tuple[Segment, JudgedScoring, JudgedProgress]:
    segment = x.segment()
    if not isinstance(segment.scoring, JudgedScoring):
        raise RuleError(
            f"'{segment.title}' is not a judged round", vi=f"'{segment.title}' không phải phần thi giám khảo chấm"
        )
    return segment, segment.scoring, x.board.judged.get(segment.id, JudgedProgress())


def submit_scores(x: Ctx, cmd: c.SubmitScores) -> list[ev.Event]:
    by = cmd.by
    if by.role == "judge" and by.id != cmd.judge:
        raise Forbidden("a judge can only enter their own scores", vi="giám khảo chỉ được nhập điểm của chính mình")
    if by.role not in ("judge", "producer"):
        raise Forbidden(
            "only judges and the producer can enter scores", vi="chỉ giám khảo và bàn điều khiển mới được nhập điểm"
        )
    if cmd.judge not in x.config.judge_ids:
        raise NotFound(f"there is no judge '{quote(cmd.judge)}'", vi=f"không có giám khảo '{quote(cmd.judge)}'")
    segment, scoring, progress = _judged(x)
    team = x.team(cmd.team)
    if team.id in progress.locked:
        raise RuleError(f"scores for {team.name} are locked", vi=f"điểm của {team.name} đã bị khoá")
    wanted = {criterion.id: criterion for criterion in scoring.criteria}
    if set(cmd.scores) != set(wanted):
        raise InvalidCommand(
            f"scores: expected a score for each of {', '.join(wanted)}",
            vi=f"scores: cần điểm cho từng tiêu chí {', '.join(wanted)}",
        )
    for key, value in cmd.scores.items():
        check_points(value, f"scores.{key}")
        if not 0 <= value <= wanted[key].max:
            raise InvalidCommand(
                f"scores.{key}: expected 0 to {wanted[key].max}, got {value}",
                vi=f"scores.{key}: cần từ 0 đến {wanted[key].max}, nhận được {value}",
            )
    return [ev.ScoresSubmitted(segment.id, cmd.judge, team.id, dict(cmd.scores))]


def _teams(x: Ctx, team: str | None) -> tuple[str, ...]:
    return (x.team(team).id,) if team is not None else x.config.team_ids


def lock_scores(x: Ctx, cmd: c.LockScores | c.UnlockScores) -> list[ev.Event]:
    x.require_producer()
    segment, _, progress = _judged(x)
    locking = isinstance(cmd, c.LockScores)
    teams = _teams(x, cmd.team)
    if not locking and any(t in progress.revealed for t in teams):
        raise RuleError(
            "revealed scores can't be unlocked; undo the reveal first",
            vi="không thể mở khoá điểm đã công bố; hãy hoàn tác việc công bố trước",
        )
    changing = tuple(t for t in teams if (t in progress.locked) != locking)
    if not changing:
        raise RuleError(
            f"scores are already {'locked' if locking else 'unlocked'}",
            vi=f"điểm đã được {'khoá' if locking else 'mở khoá'} rồi",
        )
    return [ev.ScoresLocked(segment.id, changing, locking)]


def reveal_scores(x: Ctx, cmd: c.RevealScores) -> list[ev.Event]:
    x.require_producer()
    segment, scoring, progress = _judged(x)
    teams = tuple(t for t in _teams(x, cmd.team) if t not in progress.revealed)
    if not teams:
        raise RuleError("these scores are already revealed", vi="điểm này đã được công bố rồi")
    if progress.voting is VotePhase.OPEN:
        raise RuleError(
            "close the audience vote before revealing the scores",
            vi="hãy đóng bình chọn của khán giả trước khi công bố điểm",
        )
    for team in teams:
        missing = [j.name for j in x.config.judges if team not in progress.scores.get(j.id, {})]
        if missing:
            name = x.team_name(team)
            raise RuleError(f"{missing[0]} has not scored {name} yet", vi=f"{missing[0]} chưa chấm điểm {name}")
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


def voting(x: Ctx, cmd: c.OpenVoting | c.CloseVoting) -> list[ev.Event]:
    x.require_producer()
    segment, scoring, progress = _judged(x)
    if not scoring.audience_share:
        raise RuleError(
            f"'{segment.title}' has no audience vote", vi=f"'{segment.title}' không có bình chọn của khán giả"
        )
    if isinstance(cmd, c.OpenVoting):
        if progress.voting is VotePhase.OPEN:
            raise RuleError("the audience vote is already open", vi="bình chọn của khán giả đang mở rồi")
        if progress.revealed:
            raise RuleError(
                "scores are already revealed; the vote can't reopen",
                vi="điểm đã được công bố; không thể mở lại bình chọn",
            )
        return [ev.VotingChanged(segment.id, VotePhase.OPEN, progress.vote_epoch)]
    if progress.voting is not VotePhase.OPEN:
        raise RuleError("the audience vote is not open", vi="bình chọn của khán giả chưa mở")
    return [ev.VotingChanged(segment.id, VotePhase.CLOSED, progress.vote_epoch)]


def tally(state: ShowState, key: str) -> dict[str, int]:
    """Votes per option in one ballot box."""
    return {option: n for option, n in state.tallies.get(key, {}).items() if n}
