"""The life of a question on air (show, open, close, reveal, reset) and the teams' commands on it.

What differs from one round type to another (the question's value, who is on turn, who may buzz or
answer, how an answer is judged, what the reveal gives) is asked of the segment's round
(``server.core.rounds``).
"""

from __future__ import annotations

from server.core import commands as c
from server.core import events as ev
from server.core.config import Segment
from server.core.context import Ctx
from server.core.errors import InvalidCommand, NotFound, RuleError, quote
from server.core.rounds import round_of
from server.core.state import QPhase
from server.core.totals import totals

MAX_ANSWER = 300


def show_question(x: Ctx, cmd: c.ShowQuestion) -> list[ev.Event]:
    segment = x.segment()
    kind = round_of(segment)
    qid = cmd.question or kind.next_question(x, segment)
    if qid not in kind.playable(x, segment):
        raise NotFound("rule.not_in_segment", question=quote(qid), title=segment.title)
    if qid in x.board.played:
        raise RuleError("rule.already_played", question=quote(qid))
    question = x.question_config(qid)
    turn = kind.turn_of(x, segment, qid)
    eligible = kind.players(x, segment)
    return [ev.QuestionShown(qid, segment.id, kind.value(segment, question.points), turn, eligible)]


def answer_time(x: Ctx, segment: Segment) -> int | None:
    """How long answering stays open: the question's own time, else the round's."""
    question = x.config.questions[x.question().id]
    if question.time_ms is not None:
        return question.time_ms
    return round_of(segment).answer_time(x, segment)


def open_answers(x: Ctx, cmd: c.OpenAnswers) -> list[ev.Event]:
    segment = x.segment()
    round_of(segment).open_answers(x, segment)
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
    return [*round_of(segment).on_reveal(x, segment, question, cmd), ev.QuestionMoved(QPhase.REVEALED)]


def reset_question(x: Ctx, cmd: c.ResetQuestion) -> list[ev.Event]:
    question = x.question()
    if (question.segment, question.id) in totals(x.board.awards).given:
        raise RuleError("rule.points_given_cant_reset")
    if question.id in x.board.audience_winners:
        raise RuleError("rule.winners_drawn_cant_reset")
    return [ev.QuestionReset(), ev.TimerChanged(type(x.board.timer)())]


def buzz(x: Ctx, cmd: c.Buzz) -> list[ev.Event]:
    segment, question = x.segment(), x.question()
    team = x.as_team(cmd.team)
    kind = round_of(segment)
    kind.check_buzz(x, segment, question)
    if team.id not in question.eligible:
        raise RuleError("rule.not_playing", team=team.name)
    if team.id in question.locked or team.id == question.turn:
        raise RuleError("rule.answered_this", team=team.name)
    if x.time_is_up():
        raise RuleError("rule.time_is_up")
    return [ev.Buzzed(team.id, x.at), x.timer_stopped(), *kind.after_buzz(x, segment, question, team.id)]


def submit_answer(x: Ctx, cmd: c.SubmitAnswer) -> list[ev.Event]:
    segment, question = x.segment(), x.question()
    team = x.as_team(cmd.team)
    text = " ".join(cmd.answer.split())
    if not text or len(text) > MAX_ANSWER:
        raise InvalidCommand("rule.answer_length", limit=MAX_ANSWER, count=len(text))
    if x.time_is_up():
        raise RuleError("rule.time_is_up")
    qconf = x.question_config(question.id)
    if qconf.multiple_choice:
        text = text.upper()
        if text not in (qconf.options or {}):
            options = ", ".join(qconf.options or {})
            raise InvalidCommand("rule.answer_option", options=options, answer=cmd.answer)
    elapsed = x.at - (question.opened_at or x.at)
    return round_of(segment).submit_answer(x, segment, question, team, text, qconf, elapsed)


def judge_answer(x: Ctx, cmd: c.JudgeAnswer) -> list[ev.Event]:
    x.require_producer()
    segment, question = x.segment(), x.question()
    team = x.team(cmd.team)
    return round_of(segment).judge_answer(x, segment, question, team, cmd.correct)


def place_star(x: Ctx, cmd: c.PlaceStar) -> list[ev.Event]:
    segment, question = x.segment(), x.question()
    team = x.as_team(cmd.team)
    return round_of(segment).place_star(x, segment, question, team)


def choose_package(x: Ctx, cmd: c.ChoosePackage) -> list[ev.Event]:
    segment = x.segment()
    team = x.as_team(cmd.team)
    return round_of(segment).choose_package(x, segment, team, cmd)
