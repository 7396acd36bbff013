"""The quiz's owner: what it answers is on disk, a batch a commit; a refused disk changes nothing; the
server's clock ends attempts at their deadline; a restart reads the book back from the log."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from msgspec.structs import replace

from server.core.quiz.attempt import QuizError
from server.online.quiz_service import QuizService, quiz_log
from server.show.service import StorageError
from tests.online.conftest import OPENS


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "quiz.db"


async def test_answers_of_many_entrants_share_commits_and_are_all_on_disk_when_answered(quiz, log_path) -> None:
    stage_log = quiz_log(log_path)
    service = QuizService(quiz, stage_log, Clock(OPENS + 1000))
    commits = 0
    append = stage_log.append

    def counting(*args):
        nonlocal commits
        commits += 1
        return append(*args)

    stage_log.append = counting  # type: ignore[method-assign]
    entrants = [await service.register(f"Người {n}", quiz.units[n % 5], f"09000000{n:02d}") for n in range(50)]
    for e in entrants:
        await service.begin(e.id)
    commits = 0
    await asyncio.gather(*(service.answer(e.id, item, 1) for e in entrants for item in range(20)))
    assert commits < 1000 / 10, commits  # 1,000 answers in far fewer commits
    reader = sqlite3.connect(log_path)
    assert reader.execute("SELECT COUNT(*) FROM stage_events WHERE kind='Answered'").fetchone()[0] == 1000
    service.stop()
    stage_log.close()
    again = QuizService(quiz, quiz_log(log_path), Clock(OPENS + 2000))
    assert again.book.attempts == service.book.attempts and again.on_disk == service.on_disk


async def test_a_refused_disk_is_an_error_and_the_book_stays_as_the_log_says(quiz, log_path) -> None:
    stage_log = quiz_log(log_path)
    service = QuizService(quiz, stage_log, Clock(OPENS + 1000))
    entrant = await service.register("An", quiz.units[0], "0900000001")
    await service.begin(entrant.id)
    await service.answer(entrant.id, 0, 1)

    def refuse(*args):
        raise sqlite3.OperationalError("disk I/O error")

    stage_log.append = refuse  # type: ignore[method-assign]
    results = await asyncio.gather(
        service.answer(entrant.id, 0, 2), service.answer(entrant.id, 1, 3), return_exceptions=True
    )
    assert all(isinstance(r, StorageError) for r in results)
    assert service.book.attempts[entrant.id].answers[:2] == (service.book.attempts[entrant.id].paper[0].order[1], None)
    del stage_log.append
    await service.answer(entrant.id, 1, 0)  # the disk is back
    assert service.book.attempts[entrant.id].answers[1] is not None


async def test_a_refused_event_is_not_written(quiz, log_path) -> None:
    service = QuizService(quiz, quiz_log(log_path), Clock(OPENS - 1))
    entrant = await service.register("An", quiz.units[0], "0900000001")
    with pytest.raises(QuizError, match="not open yet"):
        await service.begin(entrant.id)
    assert service.on_disk == 1 and service.book.attempts == {}


async def test_the_server_ends_an_attempt_at_its_deadline_with_no_page_open(quiz, log_path) -> None:
    short = replace(quiz, duration=300, opens=0, closes=2**62)  # 0.3 s, open now (the real clock)
    service = QuizService(short, quiz_log(log_path))
    entrant = await service.register("An", quiz.units[0], "0900000001")
    attempt = await service.begin(entrant.id)
    async with asyncio.timeout(5):
        while service.book.attempts[entrant.id].open:
            await service.changed.wait()
    done = service.book.attempts[entrant.id]
    assert done.timed_out and done.finished == attempt.deadline
    service.stop()


async def test_attempts_whose_time_ran_out_while_the_server_was_down_end_when_it_starts(quiz, log_path) -> None:
    clock = Clock(OPENS + 1000)
    service = QuizService(quiz, quiz_log(log_path), clock)
    entrant = await service.register("An", quiz.units[0], "0900000001")
    attempt = await service.begin(entrant.id)
    service.stop()
    service.log.close()
    clock.now = attempt.deadline + 3_600_000  # back an hour after its deadline
    again = QuizService(quiz, quiz_log(log_path), clock)
    again.start()
    async with asyncio.timeout(5):
        while again.book.attempts[entrant.id].open:
            await again.changed.wait()
    assert again.book.attempts[entrant.id].finished == attempt.deadline
    again.stop()
