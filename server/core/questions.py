"""The life of a question on air, for turns, speed, buzzer, packages and audience rounds."""

from __future__ import annotations

from decimal import Decimal

from server.core import commands as c
from server.core import events as ev
from server.core.config import (
    ROUND_NAMES_VI,
    AudienceScoring,
    BuzzerScoring,
    PackagesScoring,
    RoundType,
    Segment,
    SpeedScoring,
    TurnsScoring,
)
from server.core.context import TIEBREAK_ID, Ctx
from server.core.errors import InvalidCommand, NotFound, PhaseError, RuleError, quote
from server.core.scoring import draw_winners, first_winners, rank_points, steal_outcome, turn_outcome
from server.core.state import Award, QPhase, QuestionState

MAX_ANSWER = 300
ZERO = Decimal(0)


def show_question(x: Ctx, cmd: c.ShowQuestion) -> list[ev.Event]:
    segment = x.segment()
    qid = cmd.question or _next_question(x, segment)
    if qid not in _playable(x, segment):
        raise NotFound(
            f"question '{quote(qid)}' is not in the segment '{segment.title}'",
            vi=f"câu hỏi '{quote(qid)}' không thuộc phần thi '{segment.title}'",
        )
    if qid in x.board.played:
        raise RuleError(f"question '{quote(qid)}' was already played", vi=f"câu hỏi '{quote(qid)}' đã được dùng rồi")
    question = x.question_config(qid)
    turn = _turn_of(x, segment, qid)
    eligible = x.config.team_ids
    if segment.id == TIEBREAK_ID:
        eligible = tuple(t for t in x.board.tiebreak_teams if t not in x.board.tiebreak_order)
    return [ev.QuestionShown(qid, segment.id, _value(segment, question.points), turn, eligible)]


def _playable(x: Ctx, segment: Segment) -> tuple[str, ...]:
    if segment.round is RoundType.PACKAGES:
        return tuple(q for qs in x.board.packages.get(segment.id, {}).values() for q in qs)
    return segment.questions


def _next_question(x: Ctx, segment: Segment) -> str:
    if segment.round is RoundType.PACKAGES:
        chosen = x.board.packages.get(segment.id, {})
        for questions in reversed(list(chosen.values())):
            rest = [q for q in questions if q not in x.board.played]
            if rest:
                return rest[0]
        raise RuleError(
            "no package questions left; let the next team choose a package first",
            vi="không còn câu hỏi nào trong các gói; hãy để đội tiếp theo chọn gói trước",
        )
    for qid in segment.questions:
        if qid not in x.board.played:
            return qid
    raise RuleError(
        f"every question of '{segment.title}' has been played; go to the next segment",
        vi=f"đã dùng hết câu hỏi của '{segment.title}'; hãy chuyển sang phần thi tiếp theo",
    )


def _turn_of(x: Ctx, segment: Segment, qid: str) -> str | None:
    if segment.round is RoundType.TURNS:
        index = segment.questions.index(qid)
        slot = segment.slots[index]
        return slot.team or x.config.team_ids[index % len(x.config.teams)]
    if segment.round is RoundType.PACKAGES:
        for team, questions in x.board.packages.get(segment.id, {}).items():
            if qid in questions:
                return team
    return None


def _value(segment: Segment, points: Decimal | None) -> Decimal:
    scoring = segment.scoring
    if isinstance(scoring, TurnsScoring | BuzzerScoring) and segment.id != TIEBREAK_ID:
        return points if points is not None else scoring.points
    return points if points is not None else ZERO


def answer_time(x: Ctx, segment: Segment) -> int | None:
    """How long answering stays open: the question's own time, else the round's."""
    question = x.config.questions[x.question().id]
    scoring = segment.scoring
    if question.time_ms is not None:
        return question.time_ms
    if isinstance(scoring, PackagesScoring) and x.question().value in scoring.time_by_value:
        return scoring.time_by_value[x.question().value]
    return segment.timer_ms


def open_answers(x: Ctx, cmd: c.OpenAnswers) -> list[ev.Event]:
    segment = x.segment()
    if segment.round is RoundType.JUDGED:
        raise RuleError(
            "a judged round takes no answers; the judges score it",
            vi="phần thi giám khảo chấm không nhận câu trả lời; ban giám khảo sẽ chấm điểm",
        )
    out: list[ev.Event] = [ev.AnswersOpened(x.at)]
    duration = answer_time(x, segment)
    if duration:
        out.append(x.timer_started(duration))
    return out


def close_answers(x: Ctx, cmd: c.CloseAnswers | c.Expire) -> list[ev.Event]:
    # The team on turn keeps the floor: its answer, given in time, can still be judged.
    question = x.question()
    floor = question.floor if question.phase is QPhase.OPEN else None
    return [ev.QuestionMoved(QPhase.CLOSED, floor), x.timer_stopped()]


def reveal_answer(x: Ctx, cmd: c.RevealAnswer) -> list[ev.Event]:
    segment, question = x.segment(), x.question()
    out: list[ev.Event] = []
    if isinstance(segment.scoring, SpeedScoring):
        out += _speed_awards(x, segment, segment.scoring, question)
    if isinstance(segment.scoring, AudienceScoring):
        out.append(_audience_winners(x, segment.scoring, question, cmd.seed))
    return [*out, ev.QuestionMoved(QPhase.REVEALED)]


def reset_question(x: Ctx, cmd: c.ResetQuestion) -> list[ev.Event]:
    question = x.question()
    if any(a.question == question.id and a.segment == question.segment for a in x.board.awards):
        raise RuleError(
            "points were already given for this question; undo them instead of resetting",
            vi="câu hỏi này đã có điểm được cộng hoặc trừ; hãy hoàn tác thay vì làm lại câu hỏi",
        )
    if question.id in x.board.audience_winners:
        raise RuleError(
            "winners were already drawn for this question; undo them instead of resetting",
            vi="câu hỏi này đã có người trúng thưởng; hãy hoàn tác thay vì làm lại câu hỏi",
        )
    return [ev.QuestionReset(), ev.TimerChanged(type(x.board.timer)())]


def buzz(x: Ctx, cmd: c.Buzz) -> list[ev.Event]:
    segment, question = x.segment(), x.question()
    team = x.as_team(cmd.team)
    if segment.round not in (RoundType.BUZZER, RoundType.TURNS, RoundType.PACKAGES):
        raise RuleError(
            f"there is no buzzer in a {segment.round.value} round",
            vi=f"phần thi {ROUND_NAMES_VI[segment.round]} không dùng chuông",
        )
    if question.phase is QPhase.OPEN and segment.round is not RoundType.BUZZER:
        raise PhaseError(
            "can't buzz now: the team on turn is answering", vi="chưa được bấm chuông: đội có lượt đang trả lời"
        )
    if team.id not in question.eligible:
        raise RuleError(f"{team.name} is not playing this question", vi=f"{team.name} không tham gia câu hỏi này")
    if team.id in question.locked or team.id == question.turn:
        raise RuleError(f"{team.name} has already answered this question", vi=f"{team.name} đã trả lời câu hỏi này rồi")
    if x.time_is_up():
        raise RuleError("too late: time is up", vi="quá muộn: đã hết giờ")
    return [ev.Buzzed(team.id, x.at), x.timer_stopped()]


def submit_answer(x: Ctx, cmd: c.SubmitAnswer) -> list[ev.Event]:
    segment, question = x.segment(), x.question()
    team = x.as_team(cmd.team)
    text = " ".join(cmd.answer.split())
    if not text or len(text) > MAX_ANSWER:
        raise InvalidCommand(
            f"answer: expected 1 to {MAX_ANSWER} characters, got {len(text)}",
            vi=f"answer: cần từ 1 đến {MAX_ANSWER} ký tự, nhận được {len(text)}",
        )
    if x.time_is_up():
        raise RuleError("too late: time is up", vi="quá muộn: đã hết giờ")
    qconf = x.question_config(question.id)
    if qconf.multiple_choice:
        text = text.upper()
        if text not in (qconf.options or {}):
            options = ", ".join(qconf.options or {})
            raise InvalidCommand(
                f"answer: expected one of {options}, got '{cmd.answer}'",
                vi=f"answer: cần một trong các phương án {options}, nhận được '{cmd.answer}'",
            )
    elapsed = x.at - (question.opened_at or x.at)
    if isinstance(segment.scoring, SpeedScoring):
        if team.id in question.answers and not segment.scoring.allow_change:
            raise RuleError(
                f"{team.name} has already answered; one answer per question",
                vi=f"{team.name} đã trả lời rồi; mỗi câu hỏi chỉ được trả lời một lần",
            )
        correct = (text == qconf.answer) if qconf.multiple_choice else None
        return [ev.AnswerSubmitted(team.id, text, x.at, elapsed, correct)]
    if segment.round in (RoundType.TURNS, RoundType.PACKAGES):
        if team.id != question.turn:
            turn = x.team_name(question.turn or "")
            raise RuleError(
                f"it is {turn}'s turn, not {team.name}'s", vi=f"đang là lượt của {turn}, không phải của {team.name}"
            )
        if team.id in question.answers:
            raise RuleError(f"{team.name} has already answered", vi=f"{team.name} đã trả lời rồi")
        return [ev.AnswerSubmitted(team.id, text, x.at, elapsed, None)]
    raise RuleError(
        f"teams don't submit answers in a {segment.round.value} round",
        vi=f"các đội không gửi câu trả lời trong phần thi {ROUND_NAMES_VI[segment.round]}",
    )


def judge_answer(x: Ctx, cmd: c.JudgeAnswer) -> list[ev.Event]:
    x.require_producer()
    segment, question = x.segment(), x.question()
    team = x.team(cmd.team)
    if isinstance(segment.scoring, SpeedScoring):
        if question.phase is QPhase.ANSWERING or question.phase is QPhase.STEAL:
            raise PhaseError("can't judge now", vi="chưa thể chấm lúc này")
        if team.id not in question.answers:
            raise RuleError(f"{team.name} has not answered this question", vi=f"{team.name} chưa trả lời câu hỏi này")
        return [ev.AnswerGraded(team.id, cmd.correct)]
    if segment.round in (RoundType.AUDIENCE, RoundType.JUDGED):
        raise RuleError(
            f"there are no team answers to judge in a {segment.round.value} round",
            vi=f"phần thi {ROUND_NAMES_VI[segment.round]} không có câu trả lời của đội để chấm",
        )
    answered = question.answers.get(team.id)
    if answered is not None and answered.correct is not None:
        raise RuleError(f"{team.name}'s answer was already judged", vi=f"câu trả lời của {team.name} đã được chấm rồi")
    if question.floor != team.id:
        holder = x.team_name(question.floor) if question.floor else "no team"
        holder_vi = f"{x.team_name(question.floor)} đang có quyền" if question.floor else "chưa đội nào có quyền"
        raise RuleError(
            f"{team.name} does not have the right to answer; {holder} does",
            vi=f"{team.name} không có quyền trả lời; {holder_vi}",
        )
    if segment.round is RoundType.BUZZER:
        if question.phase is not QPhase.ANSWERING:
            raise PhaseError("can't judge: no team has buzzed", vi="chưa thể chấm: chưa có đội nào bấm chuông")
        return _record(x, team.id, cmd.correct) + _judge_buzz(x, segment, question, team.id, cmd.correct)
    stealing = question.turn is not None and team.id != question.turn
    if stealing:
        return _record(x, team.id, cmd.correct) + _judge_steal(x, segment, question, team.id, cmd.correct)
    return _record(x, team.id, cmd.correct) + _judge_turn(x, segment, question, team.id, cmd.correct)


def _record(x: Ctx, team: str, correct: bool) -> list[ev.Event]:
    question = x.question()
    if team in question.answers:
        return [ev.AnswerGraded(team, correct)]
    elapsed = x.at - (question.opened_at or x.at)
    return [ev.AnswerSubmitted(team, "", x.at, elapsed, correct)]


def _award(x: Ctx, question: QuestionState, team: str, points: Decimal, kind: str) -> list[ev.Event]:
    if points == 0:
        return []
    award = Award(x.state.seq + 1, team, points, kind, question.segment, question.id)
    return [ev.PointsAwarded(award)]


def _closed(x: Ctx) -> list[ev.Event]:
    return [ev.QuestionMoved(QPhase.CLOSED), x.timer_stopped()]


def _judge_buzz(x: Ctx, segment: Segment, question: QuestionState, team: str, correct: bool) -> list[ev.Event]:
    scoring = segment.scoring
    assert isinstance(scoring, BuzzerScoring)
    if segment.id == TIEBREAK_ID:
        if correct:
            return [ev.TiebreakWon(team), *_closed(x)]
        return [ev.TeamLocked(team), *_reopen_or_close(x, question, team)]
    if correct:
        return [*_award(x, question, team, question.value, "correct"), *_closed(x)]
    return [
        *_award(x, question, team, -scoring.penalty, "wrong"),
        ev.TeamLocked(team),
        *_reopen_or_close(x, question, team),
    ]


def _reopen_or_close(x: Ctx, question: QuestionState, locked: str) -> list[ev.Event]:
    others = [t for t in question.eligible if t not in question.locked and t != locked]
    if not others:
        return _closed(x)
    reopened: list[ev.Event] = [ev.QuestionMoved(QPhase.OPEN)]
    if x.board.timer.remaining_ms > 0:
        reopened.append(x.timer_resumed())
    return reopened


def _judge_turn(x: Ctx, segment: Segment, question: QuestionState, team: str, correct: bool) -> list[ev.Event]:
    if question.phase not in (QPhase.OPEN, QPhase.CLOSED):
        raise PhaseError(
            "can't judge the team on turn before answers are open",
            vi="chưa thể chấm đội đang có lượt trước khi mở trả lời",
        )
    scoring = segment.scoring
    assert isinstance(scoring, TurnsScoring | PackagesScoring)
    points = turn_outcome(scoring, question.value, question.star, correct)
    out = _award(x, question, team, points, "correct" if correct else "wrong")
    if correct:
        return out + _closed(x)
    out.append(ev.TeamLocked(team))
    stealers = [t for t in question.eligible if t != team]
    if scoring.steal is None or not stealers:
        return out + _closed(x)
    return [*out, ev.QuestionMoved(QPhase.STEAL), x.timer_started(scoring.steal.window_ms)]


def _judge_steal(x: Ctx, segment: Segment, question: QuestionState, team: str, correct: bool) -> list[ev.Event]:
    scoring = segment.scoring
    assert isinstance(scoring, TurnsScoring | PackagesScoring) and scoring.steal is not None
    if question.phase is not QPhase.ANSWERING:
        raise PhaseError(
            "can't judge a steal: no team has buzzed to steal",
            vi="chưa thể chấm lượt giành quyền: chưa có đội nào bấm chuông giành quyền trả lời",
        )
    gain, taken = steal_outcome(scoring.steal, question.value, correct)
    out = _award(x, question, team, gain, "steal" if correct else "wrong")
    if taken and question.turn is not None:
        out += _award(x, question, question.turn, -taken, "stolen")
    return [*out, ev.TeamLocked(team), *_closed(x)]


def place_star(x: Ctx, cmd: c.PlaceStar) -> list[ev.Event]:
    segment, question = x.segment(), x.question()
    team = x.as_team(cmd.team)
    scoring = segment.scoring
    if not isinstance(scoring, PackagesScoring) or scoring.star is None:
        raise RuleError("there is no star of hope in this round", vi="phần thi này không có ngôi sao hy vọng")
    if question.turn != team.id:
        raise RuleError(
            f"only the team on turn can place the star, not {team.name}",
            vi=f"chỉ đội đang có lượt mới được đặt ngôi sao, không phải {team.name}",
        )
    if question.star:
        raise RuleError("the star is already on this question", vi="câu hỏi này đã được đặt ngôi sao rồi")
    if team.id in x.board.stars_used:
        raise RuleError(
            f"{team.name} has already used its star of hope in this show",
            vi=f"{team.name} đã dùng ngôi sao hy vọng trong chương trình này rồi",
        )
    return [ev.StarPlaced(team.id)]


def choose_package(x: Ctx, cmd: c.ChoosePackage) -> list[ev.Event]:
    segment = x.segment()
    team = x.as_team(cmd.team)
    scoring = segment.scoring
    if not isinstance(scoring, PackagesScoring):
        raise RuleError(
            "packages are chosen only in a packages round", vi="chỉ chọn gói câu hỏi trong phần thi gói câu hỏi"
        )
    if len(cmd.values) != scoring.size or any(v not in scoring.values for v in cmd.values):
        allowed = "/".join(str(v) for v in scoring.values)
        raise InvalidCommand(
            f"values: expected {scoring.size} value(s) from {allowed}",
            vi=f"values: cần {scoring.size} mức điểm trong số {allowed}",
        )
    chosen = x.board.packages.get(segment.id, {})
    if team.id in chosen:
        raise RuleError(f"{team.name} has already chosen its package", vi=f"{team.name} đã chọn gói câu hỏi rồi")
    taken = {q for qs in chosen.values() for q in qs} | x.board.played
    picked: list[str] = []
    for value in cmd.values:
        qid = next(
            (
                q
                for q in segment.questions
                if x.config.questions[q].points == value and q not in taken and q not in picked
            ),
            None,
        )
        if qid is None:
            raise RuleError(
                f"no {value}-point question left in this round", vi=f"phần thi này đã hết câu hỏi {value} điểm"
            )
        picked.append(qid)
    return [ev.PackageChosen(segment.id, team.id, tuple(picked))]


def _speed_awards(x: Ctx, segment: Segment, scoring: SpeedScoring, question: QuestionState) -> list[ev.Event]:
    waiting = [t for t, a in question.answers.items() if a.correct is None]
    if waiting:
        name = x.team_name(waiting[0])
        raise RuleError(f"grade {name}'s answer first", vi=f"hãy chấm câu trả lời của {name} trước")
    correct = {t: a.elapsed_ms for t, a in question.answers.items() if a.correct}
    out: list[ev.Event] = []
    for team, points in rank_points(scoring, correct).items():
        award = Award(x.state.seq + 1, team, points, "speed", question.segment, question.id, "", correct[team])
        out.append(ev.PointsAwarded(award))
    return out


def _audience_winners(x: Ctx, scoring: AudienceScoring, question: QuestionState, seed: int | None) -> ev.Event:
    from server.core.state import poll_key

    answer = x.config.questions[question.id].answer
    box = x.state.ballots.get(poll_key(question.id, question.epoch), {})
    correct = [(device, b) for device, b in box.items() if answer is not None and b.option == answer]
    if scoring.winners == "draw":
        if seed is None:
            raise InvalidCommand(
                "seed: a draw of winners needs a seed", vi="seed: cần một seed để quay số chọn người trúng thưởng"
            )
        return ev.WinnersDrawn(question.id, draw_winners(correct, scoring.count, seed), seed)
    return ev.WinnersDrawn(question.id, first_winners(correct, scoring.count))
