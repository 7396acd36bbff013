"""Build a validated ``QuizConfig`` from a YAML quiz file (``show_configs/*.quiz.yaml``).

Problems are reported like a show file's: ``FILE:LINE: key.path: what was expected, got what``,
all of them at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from server.configs.parse import _Builder, parse_file, read_text
from server.configs.reader import Node
from server.core.config import Theme
from server.core.quiz.config import BankQuestion, Combine, Criterion, Essay, Method, QuizConfig, Scoring

LETTERS = "ABCDEF"
MAX_BANK = 2000
MAX_UNITS = 500


def load_quiz(path: str | Path) -> QuizConfig:
    """Read, parse and validate a quiz file, or raise ``ConfigError`` listing every problem."""
    path = Path(path)
    return parse_file(read_text(path), path, _QuizReader, _QuizReader.quiz)


class _QuizReader(_Builder):
    def quiz(self, root: Node) -> QuizConfig | None:
        root.mapping(("quiz", "units", "scoring", "essay", "judges", "bank"), required=("quiz", "units", "bank"))
        meta = self.attempt(
            lambda: root["quiz"].mapping(
                ("id", "title", "organizer", "language", "theme", "opens", "closes", "minutes", "draw"),
                required=("id", "title", "opens", "closes", "minutes", "draw"),
            )
        )
        units = self.attempt(lambda: [n.str(max_len=120) for n in root["units"].list(min_len=1, max_len=MAX_UNITS)])
        if units and len(set(units)) != len(units):
            self.problems.add(root["units"].fail("a unit is listed twice"))
        bank = self.items(root, "bank", self.bank_question, "question", min_len=1, max_len=MAX_BANK)
        judges = self.items(root, "judges", self.judge, "judge", max_len=20)
        essay = self.opt(root, "essay", self.essay, None)
        scoring = self.opt(root, "scoring", self.scoring_rule, Scoring())
        if meta is None:
            return None
        quiz_id = self.attempt(lambda: meta["id"].ident())
        title = self.attempt(lambda: meta["title"].str(max_len=200))
        opens = self.attempt(lambda: moment(meta["opens"]))
        closes = self.attempt(lambda: moment(meta["closes"]))
        minutes = self.attempt(lambda: meta["minutes"].int(1, 24 * 60))
        draw = self.attempt(lambda: meta["draw"].int(1, 200))
        if opens is not None and closes is not None and closes <= opens:
            self.problems.add(meta["closes"].fail("expected a moment after 'opens'"))
        written = root.get("bank")  # its questions as written, read or not: one wrong is not one missing
        count = len(written.value) if written is not None and isinstance(written.value, list) else 0
        if draw is not None and count and draw > count:
            self.problems.add(meta["draw"].fail(f"expected at most the bank's {count} question(s), got {draw}"))
        if essay is not None and not judges:
            self.problems.add(root.fail("an essay needs 'judges' to mark it"))
        if None in (quiz_id, title, opens, closes, minutes, draw, units) or self.problems.items:
            return None
        return QuizConfig(
            id=quiz_id,
            title=title,
            opens=opens,
            closes=closes,
            duration=minutes * 60_000,
            draw=draw,
            bank=tuple(bank),
            units=tuple(units),
            organizer=self.opt(meta, "organizer", lambda n: n.str(max_len=200), ""),
            language=self.opt(meta, "language", lambda n: n.choice(("vi", "en")), "vi"),
            theme=self.opt(meta, "theme", self.theme, Theme()),
            essay=essay,
            judges=tuple(judges),
            scoring=scoring,
        )

    def bank_question(self, node: Node) -> BankQuestion:
        node.mapping(("id", "text", "choices", "answer"), required=("id", "text", "choices", "answer"))
        choices = [n.str(max_len=300) for n in node["choices"].list(min_len=2, max_len=len(LETTERS))]
        letters = LETTERS[: len(choices)]
        answer = node["answer"].choice(tuple(letters))
        return BankQuestion(node["id"].ident(), node["text"].str(max_len=1000), tuple(choices), letters.index(answer))

    def essay(self, node: Node) -> Essay:
        node.mapping(("prompt", "criteria", "max_chars", "weight", "combine"), required=("prompt", "criteria"))
        criteria = self.items(node, "criteria", criterion, "criterion", min_len=1, max_len=10)
        if not criteria:
            raise node["criteria"].fail("expected at least one criterion to mark the essay on")
        return Essay(
            prompt=node["prompt"].str(max_len=2000),
            criteria=tuple(criteria),
            max_chars=self.opt(node, "max_chars", lambda n: n.int(100, 50_000), 5000),
            weight=self.opt(node, "weight", lambda n: n.decimal(Decimal(0), Decimal(100)), Decimal(1)),
            combine=Combine(self.opt(node, "combine", lambda n: n.choice(tuple(c.value for c in Combine)), "mean")),
        )

    def scoring_rule(self, node: Node) -> Scoring:
        node.mapping(("method", "per_correct", "accuracy_weight", "time_weight"))
        method = Method(
            self.opt(node, "method", lambda n: n.choice(tuple(m.value for m in Method)), "accuracy_then_time")
        )
        scoring = Scoring(
            method=method,
            per_correct=self.opt(node, "per_correct", lambda n: n.decimal(Decimal("0.01"), Decimal(100)), Decimal(1)),
            accuracy_weight=self.opt(node, "accuracy_weight", _share, Scoring().accuracy_weight),
            time_weight=self.opt(node, "time_weight", _share, Scoring().time_weight),
        )
        if method is Method.WEIGHTED and scoring.accuracy_weight + scoring.time_weight != 1:
            raise node.fail(
                f"expected accuracy_weight and time_weight to add up to 1, got "
                f"{scoring.accuracy_weight} + {scoring.time_weight}"
            )
        return scoring


def criterion(node: Node) -> Criterion:
    """One thing to mark on, out of ``max`` points (an essay's, an initiative's)."""
    node.mapping(("id", "title", "max"), required=("id", "title", "max"))
    return Criterion(node["id"].ident(), node["title"].str(max_len=200), node["max"].decimal(Decimal(1), Decimal(1000)))


def _share(node: Node) -> Decimal:
    return node.decimal(Decimal(0), Decimal(1))


def moment(node: Node) -> int:
    """A moment written in ISO 8601 with its time zone (``2025-09-01T07:00:00+07:00``), in ms since the epoch."""
    value = node.value
    try:
        at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise node.expected("a moment like 2025-09-01T07:00:00+07:00") from None
    if at.tzinfo is None:
        raise node.fail("expected a moment with its time zone, like 2025-09-01T07:00:00+07:00")
    return int(at.timestamp() * 1000)
