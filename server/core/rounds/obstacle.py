"""Olympia's "Vượt chướng ngại vật": row clues answered on the pads open the tiles over a hidden keyword.

The segment lists its row questions, then the keyword's question last: its answer is the keyword, its
text the final clue (the centre tile) and its media the picture behind the tiles. Every team answers
each row on its pad within the timer; the reveal gives each right answer the row's points and opens the
row's tile when at least one team was right. A team may buzz for the keyword whenever a question of the
segment is on screen: the producer judges it aloud; right scores by the rows played so far (the final
clue's value once it is shown) and ends the round, wrong takes the team out of the round.

What the round remembers across its questions is read from the awards: a row's points open its tile, a
keyword judged right ("keyword" award with its points) ends the round, one judged wrong is recorded as a
"keyword" award of 0 points and keeps that team out.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from server.core import commands as c
from server.core import events as ev
from server.core.errors import PhaseError, RuleError
from server.core.rounds.base import (
    ZERO,
    Capabilities,
    Ctx,
    Question,
    Round,
    Segment,
    Settings,
    ShowConfig,
    number,
    read,
    settings_of,
)
from server.core.state import Award, Board, QPhase, QuestionState, ShowState

KEYWORD = "keyword"  # the kind of a keyword's award (0 points: judged wrong, the team is out)
ROW = "row"  # the kind of a row's award
ROW_TIME_MS = 15000  # a row's answer time when the segment gives none


class ObstacleScoring(Settings, frozen=True, tag="obstacle"):
    row_points: Annotated[Decimal, read("points")] = Decimal(10)
    # the keyword's value after 1, 2, 3... rows have been shown
    keyword_points: Annotated[tuple[Decimal, ...], read("rank_points")] = (
        Decimal(80),
        Decimal(60),
        Decimal(40),
        Decimal(20),
    )
    final_points: Annotated[Decimal, read("points")] = Decimal(10)  # the keyword found on the final clue


@dataclass(frozen=True)
class Progress:
    """The round so far, read from the board."""

    rows_shown: int  # rows put on screen so far
    opened: frozenset[str]  # rows a team answered right
    out: tuple[str, ...]  # teams that gave a wrong keyword, in that order
    found_by: str | None  # the team that found the keyword
    final: bool  # the final clue has been shown
    over: bool  # keyword found, or revealed after the final clue


def rows(segment: Segment) -> tuple[str, ...]:
    """The row questions: every question of the segment but the keyword's, last."""
    return tuple(segment.questions[:-1])


def keyword_question(segment: Segment) -> str:
    """The keyword's question: its answer is the keyword, its text the final clue, its media the picture."""
    return str(segment.questions[-1])


def letters(text: str | None) -> int:
    """How many boxes an answer fills: its letters and digits (spaces and marks between words take none)."""
    return sum(ch.isalnum() for ch in unicodedata.normalize("NFC", text or ""))


def same(given: str, expected: str | None) -> bool:
    """A pad's row answer matches the expected one, whatever its case and spacing (accents count)."""
    if expected is None:
        return False

    def fold(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split()).casefold()

    return fold(given) == fold(expected)


def progress(board: Board, segment: Segment) -> Progress:
    """Rows shown and opened, teams out, the keyword found: all from the board."""
    ids = rows(segment)
    opened: set[str] = set()
    out: list[str] = []
    found_by = None
    for a in board.awards:
        if a.segment != segment.id:
            continue
        if a.kind == ROW and a.points > 0 and a.question in ids:
            opened.add(a.question)
        elif a.kind == KEYWORD and a.points > 0:
            found_by = a.team
        elif a.kind == KEYWORD and a.team not in out:
            out.append(a.team)
    final_id = keyword_question(segment)
    final = final_id in board.played
    question = board.question
    on_air = question is not None and question.segment == segment.id and question.id == final_id
    revealed = final and (not on_air or (question is not None and question.phase is QPhase.REVEALED))
    return Progress(
        rows_shown=sum(q in board.played for q in ids),
        opened=frozenset(opened),
        out=tuple(out),
        found_by=found_by,
        final=final,
        over=found_by is not None or revealed,
    )


def worth(segment: Segment, done: Progress) -> Decimal | None:
    """What the keyword scores now: by the rows shown, the final value once the final clue is; None before."""
    scoring = settings_of(segment, ObstacleScoring)
    if done.final:
        return scoring.final_points
    if done.rows_shown == 0:
        return None
    values = scoring.keyword_points
    return values[min(done.rows_shown, len(values)) - 1]


class Obstacle(Round):
    name = "obstacle"
    settings = ObstacleScoring
    hides_grades = True  # row answers are graded in secret until the reveal; the keyword is judged on air
    # A keyword buzz and its verdict also come between rows: a row not yet open, closed or revealed.
    phases = {
        c.Buzz: frozenset({QPhase.READY, QPhase.CLOSED, QPhase.REVEALED}),
        c.JudgeAnswer: frozenset({QPhase.READY, QPhase.REVEALED}),
    }

    def capabilities(self, config: ShowConfig, segment: Segment) -> Capabilities:
        return Capabilities(questions=True, buzz=True, pad_answers=True, keyword=True)

    # -- the config ----------------------------------------------------------------------------

    def check_questions(self, scoring: Any, slots: tuple[Any, ...], questions: dict[str, Question]) -> list[str]:
        problems = []
        if len(slots) < 2:
            return ["an obstacle round lists at least 1 row question, then the keyword's question (last)"]
        ids = [s.question for s in slots]
        for qid in ids[:-1]:
            question = questions.get(qid)
            if question is None:
                continue
            if not question.answer or question.multiple_choice:
                problems.append(f"row question '{qid}' needs an answer in words (answer: ...), not options")
            elif not letters(question.answer):
                problems.append(f"row question '{qid}': its answer has no letters to show in boxes")
            if question.points is not None and question.points <= 0:
                problems.append(f"row question '{qid}' is worth 0 points, so a right answer could not open its tile")
        keyword = questions.get(ids[-1])
        if keyword is not None and (not keyword.answer or keyword.multiple_choice or not letters(keyword.answer)):
            problems.append(
                f"the keyword's question '{ids[-1]}' (last) needs the keyword as its answer (answer: ...), not options"
            )
        if len(scoring.keyword_points) < len(ids) - 1:
            problems.append(
                f"keyword_points gives {len(scoring.keyword_points)} values for {len(ids) - 1} rows; "
                "give one value per row (the keyword's worth after each)"
            )
        return problems

    def summary(self, segment: Segment) -> str | None:
        return f"{len(rows(segment))} rows and a keyword"

    def clock_ms(self, config: ShowConfig, segment: Segment) -> int:
        default = segment.timer_ms or ROW_TIME_MS
        return sum(config.questions[qid].time_ms or default for qid in segment.questions)

    # -- the question on air ----------------------------------------------------------------

    def value(self, segment: Segment, points: Decimal | None) -> Decimal:
        return points if points is not None else settings_of(segment, ObstacleScoring).row_points

    def answer_time(self, x: Ctx, segment: Segment) -> int | None:
        return segment.timer_ms or ROW_TIME_MS

    def next_question(self, x: Ctx, segment: Segment) -> str:
        _check_on(x, segment)
        question = x.board.question
        if question is not None and question.floor is not None:
            raise RuleError("rule.obstacle.judge_keyword_first", team=x.team_name(question.floor))
        return super().next_question(x, segment)

    def open_answers(self, x: Ctx, segment: Segment) -> None:
        _check_on(x, segment)

    def check_buzz(self, x: Ctx, segment: Segment, question: QuestionState) -> None:
        done = _check_on(x, segment)
        assert isinstance(x.cmd, c.Buzz)
        team = x.team(x.cmd.team)
        if team.id in done.out:
            raise RuleError("rule.obstacle.team_out", team=team.name)
        if question.floor is not None:
            raise RuleError("rule.obstacle.floor_taken", holder=x.team_name(question.floor))

    def players(self, x: Ctx, segment: Segment) -> tuple[str, ...]:
        out = progress(x.board, segment).out  # a wrong keyword: out of the rows still to come
        return tuple(t for t in super().players(x, segment) if t not in out)

    def after_buzz(self, x: Ctx, segment: Segment, question: QuestionState, team: str) -> list[ev.Event]:
        # While a row is answered, the buzz stops the clock to hear the keyword (the generic ``answering``);
        # between rows the question stays where it was, with the buzzing team on the floor.
        if question.phase is QPhase.OPEN:
            return []
        return [ev.QuestionMoved(question.phase, team)]

    def submit_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, text: str, qconf: Question, elapsed: int
    ) -> list[ev.Event]:
        done = _check_on(x, segment)
        if team.id in done.out:
            raise RuleError("rule.obstacle.team_out", team=team.name)
        if question.id == keyword_question(segment):
            raise RuleError("rule.obstacle.final_clue")
        if team.id in question.answers:
            raise RuleError("rule.obstacle.answered", team=team.name)
        # A pad's answer that matches is right at once; any other waits for the producer's grade.
        correct = True if same(text, qconf.answer) else None
        return [ev.AnswerSubmitted(team.id, text, x.at, elapsed, correct)]

    def judge_answer(
        self, x: Ctx, segment: Segment, question: QuestionState, team: Any, correct: bool
    ) -> list[ev.Event]:
        if question.floor == team.id:
            return self._judge_keyword(x, segment, question, team.id, correct)
        if question.floor is not None:
            raise RuleError("rule.obstacle.judge_keyword_first", team=x.team_name(question.floor))
        if question.phase not in (QPhase.OPEN, QPhase.CLOSED):
            raise PhaseError("rule.obstacle.grade_now")
        if team.id not in question.answers:
            raise RuleError("rule.obstacle.no_row_answer", team=team.name)
        return [ev.AnswerGraded(team.id, correct)]

    def _judge_keyword(
        self, x: Ctx, segment: Segment, question: QuestionState, team: str, correct: bool
    ) -> list[ev.Event]:
        done = progress(x.board, segment)
        points = (worth(segment, done) or ZERO) if correct else ZERO
        verdict = ev.PointsAwarded(Award(x.state.seq + 1, team, points, KEYWORD, segment.id, question.id))
        if correct:  # the round is won: the whole picture opens, nothing more is answered
            return [verdict, ev.QuestionMoved(QPhase.REVEALED), x.timer_stopped()]
        if question.phase is not QPhase.ANSWERING:
            return [verdict, ev.QuestionMoved(question.phase)]
        # Heard while a row (or the final clue) was open: it reopens for the teams still in, if time is left.
        still_in = [t for t in x.config.team_ids if t not in done.out and t != team]
        if still_in and x.board.timer.remaining_ms > 0:
            return [verdict, ev.QuestionMoved(QPhase.OPEN), x.timer_resumed()]
        return [verdict, ev.QuestionMoved(QPhase.CLOSED)]

    def on_reveal(self, x: Ctx, segment: Segment, question: QuestionState, cmd: c.RevealAnswer) -> list[ev.Event]:
        if question.floor is not None:
            raise RuleError("rule.obstacle.judge_keyword_first", team=x.team_name(question.floor))
        waiting = [t for t, a in question.answers.items() if a.correct is None]
        if waiting:
            raise RuleError("rule.obstacle.grade_first", team=x.team_name(waiting[0]))
        # The final clue's reveal shows the keyword for no points; a row's gives each right answer its points.
        out: list[ev.Event] = []
        for team, answer in question.answers.items():
            if answer.correct and question.value > 0:
                award = Award(x.state.seq + 1, team, question.value, ROW, segment.id, question.id)
                out.append(ev.PointsAwarded(award))
        return out

    # -- the views -------------------------------------------------------------------------------

    def board_view(self, config: ShowConfig, state: ShowState, segment: Segment, producer: bool) -> dict[str, Any]:
        board = state.board
        done = progress(board, segment)
        question = board.question if board.question is not None and board.question.segment == segment.id else None
        out_rows = []
        for index, qid in enumerate(rows(segment)):
            answer = config.questions[qid].answer
            on_air = question is not None and question.id == qid
            shown = qid in board.played and (not on_air or (question is not None and question.phase is QPhase.REVEALED))
            out_rows.append(
                {
                    "number": index + 1,
                    "question": qid,
                    "letters": letters(answer),
                    "on_air": on_air,
                    "played": qid in board.played,
                    "solved": qid in done.opened,  # a team answered it right
                    "open": qid in done.opened or done.over,  # its tile shows the picture
                    "answer": answer if producer or shown else None,
                }
            )
        final_id = keyword_question(segment)
        keyword = config.questions[final_id]
        value = worth(segment, done)
        return {
            "obstacle": {
                "rows": out_rows,
                "keyword": {
                    "letters": letters(keyword.answer),
                    "answer": keyword.answer if producer or done.over else None,
                    "found_by": done.found_by,
                    "worth": None if value is None or done.over else number(value),
                },
                "final": {
                    "question": final_id,
                    "on_air": question is not None and question.id == final_id,
                    "open": done.final or done.over,  # the centre tile
                },
                "picture": keyword.media,
                "out": list(done.out),
                "over": done.over,
            }
        }

    # -- the simulator ---------------------------------------------------------------------------

    def simulate(self, sim: Any, segment: Segment) -> None:
        for qid in segment.questions:
            if progress(sim.runner.state.board, segment).over:
                return
            question = sim.config.questions[qid]
            sim.cmd(c.ShowQuestion)
            sim.cmd(c.OpenAnswers)
            if qid != keyword_question(segment):
                _simulate_row(sim, segment, question)
            if _simulate_keyword(sim, segment, 0.25 if qid != keyword_question(segment) else 0.8):
                return
            if sim.question.phase is QPhase.OPEN:
                sim.cmd(c.CloseAnswers)
            for team, answer in sim.question.answers.items():
                if answer.correct is None:
                    sim.cmd(c.JudgeAnswer, team=team, correct=same(answer.text, question.answer))
            if sim.question.phase is QPhase.CLOSED:
                sim.cmd(c.RevealAnswer)


def _check_on(x: Ctx, segment: Segment) -> Progress:
    """The round so far, refusing any move once it is over."""
    done = progress(x.board, segment)
    if done.found_by is not None:
        raise RuleError("rule.obstacle.keyword_found", team=x.team_name(done.found_by))
    if done.over:
        raise RuleError("rule.obstacle.over")
    return done


def _simulate_row(sim: Any, segment: Segment, question: Any) -> None:
    out = progress(sim.runner.state.board, segment).out
    opened = sim.now
    answers = []
    for team in sim.config.team_ids:
        if team not in out and sim.rng.random() < 0.9:
            answers.append((sim.rng.randint(800, 9000), team, sim.answer(question)))
    for delay, team, text in sorted(answers):
        sim.cmd(c.SubmitAnswer, by=c.Actor("team", team), team=team, answer=text, wait=opened + delay - sim.now)


def _simulate_keyword(sim: Any, segment: Segment, chance: float) -> bool:
    """Maybe a team still in buzzes for the keyword, judged right about half the time; True: found."""
    done = progress(sim.runner.state.board, segment)
    still_in = [t for t in sim.config.team_ids if t not in done.out]
    if not still_in or sim.rng.random() >= chance:
        return False
    team = sim.rng.choice(still_in)
    sim.cmd(c.Buzz, by=c.Actor("team", team), team=team, wait=300)
    sim.cmd(c.JudgeAnswer, team=team, correct=sim.rng.random() < 0.5)
    return progress(sim.runner.state.board, segment).over


ROUND = Obstacle()
