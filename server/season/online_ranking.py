"""An online stage's ranking read from its server's database (``server.core.season.online``)."""

from __future__ import annotations

from pathlib import Path

from server.configs.initiatives import load_initiatives
from server.configs.quiz import load_quiz
from server.core.errors import NotFound
from server.core.initiatives.book import InitiativesBook
from server.core.quiz.book import QuizBook
from server.core.season.config import OnlineSpec
from server.core.season.events import Placed
from server.core.season.online import initiatives_ranking, quiz_ranking
from server.online.initiatives_service import initiatives_log
from server.online.quiz_service import quiz_log


def read_ranking(spec: OnlineSpec, db: Path) -> tuple[Placed, ...]:
    """The stage's ranking now, from ``db`` (its server may be running meanwhile)."""
    if not db.is_file():
        raise NotFound("season.no_stage_db", title=spec.title, db=str(db))
    if spec.kind == "quiz":
        quiz = load_quiz(spec.file)
        book, log = QuizBook(quiz), quiz_log(db)
        stage_id = quiz.id
    else:
        initiatives = load_initiatives(spec.file)
        book, log = InitiativesBook(initiatives), initiatives_log(db)  # type: ignore[assignment]
        stage_id = initiatives.id
    try:
        book.replay(log.events(stage_id))
    finally:
        log.close()
    if isinstance(book, QuizBook):
        return quiz_ranking(book, spec.rank)
    return initiatives_ranking(book)
