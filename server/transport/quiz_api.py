"""The online quiz over HTTP: an entrant registers with a one-time code, starts, saves each answer as
they go, and hands in (or the server's clock does); the judges mark the essays blind; anyone reads the
leaderboard and the participation by unit. Every answer is JSON ``{"ok": …}`` as the control API's
are, a refusal says what is wrong and where, and nothing changed. Routes are under ``/quiz/``
(docs/online-quiz.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web
from msgspec import Struct

from server.core.quiz import attempt as a
from server.core.quiz.book import QuizBook
from server.online.otp import Sender
from server.online.quiz_service import QuizService
from server.transport import protocol as p
from server.transport.http import reply
from server.transport.limits import TokenBucket
from server.transport.stage_http import Verifier, add_routes, holder, read_body

BASE = "/quiz/api/"
BODY_MOST = 64 * 1024  # an essay and then some
BOARD_ROWS = 100  # the leaderboard's rows on the page and the overlay
SAVES_PER_SECOND, SAVES_BURST = 5.0, 20  # one entrant's saves: a quick clicker, not a script


class Ask(Struct, forbid_unknown_fields=True):
    contact: str
    name: str = ""
    unit: str = ""
    consent: bool = False


class Verify(Struct, forbid_unknown_fields=True):
    contact: str
    code: str


class Choose(Struct, forbid_unknown_fields=True):
    item: int
    choice: int | None


class Write(Struct, forbid_unknown_fields=True):
    text: str


class Marks(Struct, forbid_unknown_fields=True):
    essay: str
    marks: dict[str, Decimal]


ROUTES = (  # method, path under BASE, handler
    ("GET", "info", "info"),
    ("POST", "code", "ask_code"),
    ("POST", "verify", "verify"),
    ("GET", "me", "me"),
    ("POST", "start", "start"),
    ("POST", "answer", "answer"),
    ("POST", "essay", "essay"),
    ("POST", "submit", "submit"),
    ("POST", "signout", "signout"),
    ("GET", "board", "board"),
    ("GET", "essays", "essays"),
    ("POST", "marks", "mark"),
)


def add_quiz_routes(app: web.Application) -> None:
    """The API's routes, answered by the app's ``QuizApi`` (made when the app starts, its log open)."""
    add_routes(app, QUIZ, BASE, ROUTES)
    app.router.add_get("/healthz", _health)


async def _health(request: web.Request) -> web.Response:
    return reply(await request.app[QUIZ].health(request))


class QuizApi:
    """The handlers, over one quiz's service."""

    def __init__(self, service: QuizService, sender: Sender, secret: bytes, tokens: dict[str, str]) -> None:
        self.service = service
        self.tokens = tokens  # token -> "organizer" or "judge:<id>"
        self._secret = secret
        self.verifier = Verifier(sender, secret, f"showcaller-quiz-{service.config.id}", "/quiz/", service.config.title)
        self.entrant_buckets: dict[str, TokenBucket] = {}
        self._board: tuple[QuizBook | None, int, dict[str, Any]] = (None, -1, {})  # the book and version ranked

    @property
    def book(self) -> QuizBook:
        return self.service.book

    # -- reading requests -------------------------------------------------------------------------

    async def _body(self, request: web.Request, kind: type[Any]) -> Any:
        return await read_body(request, BASE, kind, BODY_MOST)

    def _entrant(self, request: web.Request) -> str:
        entrant = self.verifier.subject(request)
        if entrant is None or entrant not in self.book.entrants:
            raise p.ProtocolError("unauthorized", "quiz.signed_out")
        bucket = self.entrant_buckets.get(entrant)
        if bucket is None:
            bucket = self.entrant_buckets[entrant] = TokenBucket(SAVES_PER_SECOND, SAVES_BURST)
        if not bucket.take():
            raise p.ProtocolError("rate_limited", "wire.events_limited")
        return entrant

    async def health(self, request: web.Request) -> dict[str, Any]:
        """Whether the quiz is up, and how far its log is on disk."""
        service = self.service
        return p.ok(quiz=service.config.id, on_disk=service.on_disk, entrants=len(self.book.entrants))

    # -- an entrant ------------------------------------------------------------------------------

    async def info(self, request: web.Request) -> dict[str, Any]:
        config = self.service.config
        essay = config.essay
        return p.ok(
            quiz=config.id,
            title=config.title,
            organizer=config.organizer,
            opens=config.opens,
            closes=config.closes,
            minutes=config.duration // 60_000,
            questions=config.draw,
            units=list(config.units),
            essay=None if essay is None else {"prompt": essay.prompt, "max_chars": essay.max_chars},
            server_time=self.service.clock(),
        )

    async def ask_code(self, request: web.Request) -> dict[str, Any]:
        ask = await self._body(request, Ask)
        identity = self.verifier.identity(ask.contact)
        known = identity in self.book.by_contact
        details: dict[str, Any] = {}
        if not known:  # a new entrant; one registered already signs in on this device with the code
            name, unit = ask.name.strip(), ask.unit.strip()
            if not name or len(name) > 80:
                raise p.ProtocolError("bad_request", "quiz.name_invalid")
            if unit not in self.service.config.units:
                raise p.ProtocolError("bad_request", "quiz.no_such_unit", unit=unit[:80])
            if not ask.consent:
                raise p.ProtocolError("bad_request", "quiz.consent_needed")
            details = {"name": name, "unit": unit}
        to = await self.verifier.send(request, identity, self.service.clock(), details)
        return p.ok(to=to, registered=known)

    async def verify(self, request: web.Request) -> web.Response:
        ask = await self._body(request, Verify)
        identity = self.verifier.identity(ask.contact)
        details = await self.verifier.check(identity, ask.code, self.service.clock())
        entrant_id = self.book.by_contact.get(identity)
        if entrant_id is None:
            entrant_id = (await self.service.register(details["name"], details["unit"], identity)).id
        return self.verifier.sign_in(request, reply(p.ok(**self._me(entrant_id))), entrant_id)

    async def signout(self, request: web.Request) -> web.Response:
        return self.verifier.sign_out(reply(p.ok()))

    async def me(self, request: web.Request) -> dict[str, Any]:
        return p.ok(**self._me(self._entrant(request)))

    async def start(self, request: web.Request) -> dict[str, Any]:
        entrant = self._entrant(request)
        await self.service.begin(entrant)
        return p.ok(**self._me(entrant))

    async def answer(self, request: web.Request) -> dict[str, Any]:
        entrant = self._entrant(request)
        choose = await self._body(request, Choose)
        await self.service.answer(entrant, choose.item, choose.choice)
        return p.ok(server_time=self.service.clock())

    async def essay(self, request: web.Request) -> dict[str, Any]:
        entrant = self._entrant(request)
        write = await self._body(request, Write)
        await self.service.write_essay(entrant, write.text)
        return p.ok(server_time=self.service.clock())

    async def submit(self, request: web.Request) -> dict[str, Any]:
        entrant = self._entrant(request)
        await self.service.finish(entrant)
        return p.ok(**self._me(entrant))

    def _me(self, entrant_id: str) -> dict[str, Any]:
        """What an entrant's page shows: who they are, and their attempt as they see it (no answer key)."""
        config, book = self.service.config, self.book
        entrant = book.entrants[entrant_id]
        attempt = book.attempts.get(entrant_id)
        out: dict[str, Any] = {
            "entrant": {"id": entrant.id, "name": entrant.name, "unit": entrant.unit},
            "server_time": self.service.clock(),
            "attempt": None,
        }
        if attempt is None:
            return out
        questions = []
        for item in attempt.paper:
            question = config.bank[item.question]
            questions.append({"text": question.text, "choices": [question.choices[k] for k in item.order]})
        view: dict[str, Any] = {
            "started": attempt.started,
            "deadline": attempt.deadline,
            "finished": attempt.finished,
            "timed_out": attempt.timed_out,
            "questions": questions,
            "answers": a.shown_answers(attempt),
            "essay": attempt.essay,
        }
        if attempt.finished is not None:
            view["result"] = {
                "correct": a.correct(config, attempt),
                "count": len(attempt.paper),
                "used_ms": a.used(attempt),
                "points": str(a.quiz_points(config, attempt)),
            }
        out["attempt"] = view
        return out

    # -- everyone ------------------------------------------------------------------------------

    async def board(self, request: web.Request) -> dict[str, Any]:
        """The leaderboard's top rows and the participation by unit. Ranked once per change of the book:
        every hall screen and every entrant's result page asks every few seconds."""
        book = self.book  # a new one after a refused write: ranked afresh
        if self._board[:2] != (book, book.version):
            self._board = (book, book.version, self._rank())
        return p.ok(**self._board[2], server_time=self.service.clock())

    def _rank(self) -> dict[str, Any]:
        rows = [
            {
                "rank": s.rank,
                "name": s.name,
                "unit": s.unit,
                "correct": s.correct,
                "used_ms": s.used,
                "points": str(s.points),
                "essay": None if s.essay is None else str(s.essay),
                "total": str(s.total),
            }
            for s in self.book.standings()[:BOARD_ROWS]
        ]
        counts = self.book.participation()
        finished = sum(int(c["finished"]) for c in counts)
        return {
            "version": self.book.version,
            "standings": rows,
            "participation": counts,
            "registered": len(self.book.entrants),
            "finished": finished,
        }

    # -- the judges ------------------------------------------------------------------------------

    def _essays(self) -> dict[str, str]:
        """Code -> entrant, for every handed-in attempt with an essay."""
        return self.book.essays(self._secret)

    async def essays(self, request: web.Request) -> dict[str, Any]:
        judge = holder(request, self.tokens, "judge")
        config = self.service.config
        essay = config.essay
        if essay is None:
            raise p.ProtocolError("not_found", "quiz.no_essay")
        out = []
        for code, entrant in self._essays().items():
            mine = self.book.marks.get(entrant, {}).get(judge)
            out.append(
                {
                    "essay": code,
                    "text": self.book.attempts[entrant].essay,
                    "marks": None if mine is None else {k: str(v) for k, v in mine.items()},
                }
            )
        criteria = [{"id": c.id, "title": c.title, "max": str(c.max)} for c in essay.criteria]
        return p.ok(judge=judge, prompt=essay.prompt, criteria=criteria, essays=out)

    async def mark(self, request: web.Request) -> dict[str, Any]:
        judge = holder(request, self.tokens, "judge")
        marks = await self._body(request, Marks)
        entrant = self._essays().get(marks.essay.strip().upper())
        if entrant is None:
            raise p.ProtocolError("not_found", "quiz.no_such_essay", essay=marks.essay[:20])
        await self.service.mark(judge, entrant, marks.marks)
        return p.ok()


QUIZ = web.AppKey("quiz", QuizApi)
