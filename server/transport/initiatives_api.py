"""The initiatives stage over HTTP (``/initiatives/``): a unit submits its model with pictures and a
document (a verified contact), the organizers approve it, anyone verified votes in the public gallery
(one vote per identity per initiative), the judges score it; the ranking weighs both. Answers are JSON
``{"ok": …}``; a refusal says what is wrong and changes nothing (docs/online-quiz.md)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from aiohttp import BodyPartReader, web
from msgspec import Struct

from server.core.initiatives.book import Initiative, InitiativesBook
from server.online.files import TYPES as FILE_TYPES
from server.online.initiatives_service import InitiativesService
from server.online.otp import Sender
from server.transport import protocol as p
from server.transport.http import reply
from server.transport.stage_http import Verifier, add_routes, holder, read_body

BASE = "/initiatives/api/"
FORM_MOST = 32 * 1024 * 1024  # five pictures and a document
BODY_MOST = 16 * 1024
TITLE_MOST, SUMMARY_MOST = 150, 3000

ROUTES = (
    ("GET", "info", "info"),
    ("POST", "code", "ask_code"),
    ("POST", "verify", "verify"),
    ("GET", "me", "me"),
    ("POST", "submit", "submit"),
    ("GET", "gallery", "gallery"),
    ("POST", "vote", "vote"),
    ("GET", "ranking", "ranking"),
    ("GET", "review", "pending"),
    ("POST", "review", "review"),
    ("GET", "judging", "judging"),
    ("POST", "scores", "score"),
    ("GET", "files/{name}", "file"),
)


class Ask(Struct, forbid_unknown_fields=True):
    contact: str


class Verify(Struct, forbid_unknown_fields=True):
    contact: str
    code: str


class Vote(Struct, forbid_unknown_fields=True):
    initiative: str


class Review(Struct, forbid_unknown_fields=True):
    initiative: str
    approved: bool
    note: str = ""


class Scores(Struct, forbid_unknown_fields=True):
    initiative: str
    marks: dict[str, Decimal]


def add_initiatives_routes(app: web.Application) -> None:
    add_routes(app, INITIATIVES, BASE, ROUTES)


def card(initiative: Initiative, book: InitiativesBook) -> dict[str, Any]:
    """An initiative as the gallery shows it (no contact)."""
    return {
        "id": initiative.id,
        "unit": initiative.unit,
        "title": initiative.title,
        "summary": initiative.summary,
        "video": initiative.video,
        "images": [f"{BASE}files/{name}" for name in initiative.images],
        "document": f"{BASE}files/{initiative.document}" if initiative.document else None,
        "votes": len(book.votes.get(initiative.id, ())),
    }


class InitiativesApi:
    def __init__(self, service: InitiativesService, sender: Sender, secret: bytes, tokens: dict[str, str]) -> None:
        self.service = service
        self.tokens = tokens
        config = service.config
        self.verifier = Verifier(sender, secret, f"showcaller-initiatives-{config.id}", "/initiatives/", config.title)

    @property
    def book(self) -> InitiativesBook:
        return self.service.book

    def _voter(self, request: web.Request) -> str:
        who = self.verifier.subject(request)
        if who is None:
            raise p.ProtocolError("unauthorized", "quiz.signed_out")
        return who

    async def info(self, request: web.Request) -> dict[str, Any]:
        config = self.service.config
        return p.ok(
            stage=config.id,
            title=config.title,
            organizer=config.organizer,
            submissions={"opens": config.submissions.opens, "closes": config.submissions.closes},
            voting={"opens": config.voting.opens, "closes": config.voting.closes},
            units=list(config.units),
            weights={"judges": str(config.judges_weight), "community": str(config.community_weight)},
            finalists=config.finalists,
            server_time=self.service.clock(),
        )

    async def ask_code(self, request: web.Request) -> dict[str, Any]:
        ask = await read_body(request, BASE, Ask, BODY_MOST)
        who = self.verifier.identity(ask.contact)
        return p.ok(to=await self.verifier.send(request, who, self.service.clock(), {}))

    async def verify(self, request: web.Request) -> web.Response:
        ask = await read_body(request, BASE, Verify, BODY_MOST)
        who = self.verifier.identity(ask.contact)
        await self.verifier.check(who, ask.code, self.service.clock())
        return self.verifier.sign_in(request, reply(p.ok(**self._me(who))), who)

    async def me(self, request: web.Request) -> dict[str, Any]:
        return p.ok(**self._me(self._voter(request)))

    def _me(self, who: str) -> dict[str, Any]:
        voted = sorted(i for i, voters in self.book.votes.items() if who in voters)
        mine = [card(i, self.book) | {"status": i.status} for i in self.book.initiatives.values() if i.contact == who]
        return {"voted": voted, "submitted": mine, "server_time": self.service.clock()}

    async def submit(self, request: web.Request) -> dict[str, Any]:
        """A multipart form: unit, title, summary, video (a link), image (up to five), document (a PDF)."""
        who = self._voter(request)
        if request.content_length is not None and request.content_length > FORM_MOST:
            raise p.ProtocolError("too_large", "wire.body_too_large", max_payload=FORM_MOST)
        fields: dict[str, str] = {}
        images: list[tuple[str, bytes]] = []
        document: tuple[str, bytes] | None = None
        try:
            reader = await request.multipart()
            total = 0
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read()
                total += len(data)
                if total > FORM_MOST:
                    raise p.ProtocolError("too_large", "wire.body_too_large", max_payload=FORM_MOST)
                if part.name == "image" and data:
                    images.append((part.filename or "image", bytes(data)))
                elif part.name == "document" and data:
                    document = (part.filename or "document", bytes(data))
                elif part.name in ("unit", "title", "summary", "video"):
                    fields[part.name] = data.decode("utf-8").strip()
        except (ValueError, AssertionError, UnicodeDecodeError) as exc:
            raise p.ProtocolError("bad_request", "initiative.form_invalid", why=str(exc)[:80]) from None
        title, summary, video = fields.get("title", ""), fields.get("summary", ""), fields.get("video", "")
        if not title or len(title) > TITLE_MOST:
            raise p.ProtocolError("bad_request", "initiative.title_invalid")
        if not summary or len(summary) > SUMMARY_MOST:
            raise p.ProtocolError("bad_request", "initiative.summary_invalid")
        if video and not (video.startswith("https://") and len(video) < 500):
            raise p.ProtocolError("bad_request", "initiative.video_invalid")
        initiative = await self.service.submit(
            fields.get("unit", ""), title, summary, who, video, tuple(images), document
        )
        return p.ok(initiative=card(initiative, self.book) | {"status": initiative.status})

    async def gallery(self, request: web.Request) -> dict[str, Any]:
        """Every approved initiative, its votes and its share of them."""
        approved = [i for i in self.book.initiatives.values() if i.status == "approved"]
        total = sum(len(self.book.votes[i.id]) for i in approved)
        cards = []
        for i in approved:
            shown = card(i, self.book)
            shown["share"] = round(100 * shown["votes"] / total, 1) if total else 0.0
            cards.append(shown)
        config = self.service.config
        return p.ok(
            version=self.book.version,
            initiatives=cards,
            votes=total,
            voting_open=config.voting.holds(self.service.clock()),
            server_time=self.service.clock(),
        )

    async def vote(self, request: web.Request) -> dict[str, Any]:
        who = self._voter(request)
        vote = await read_body(request, BASE, Vote, BODY_MOST)
        await self.service.vote(vote.initiative, who)
        return p.ok(votes=len(self.book.votes[vote.initiative]))

    async def ranking(self, request: web.Request) -> dict[str, Any]:
        rows = [
            {
                "rank": r.rank,
                "initiative": r.initiative,
                "title": r.title,
                "unit": r.unit,
                "votes": r.votes,
                "share": str(r.vote_share),
                "community": str(r.community),
                "judges": None if r.judges is None else str(r.judges),
                "score": str(r.score),
            }
            for r in self.book.ranking()
        ]
        return p.ok(ranking=rows, finalists=self.service.config.finalists)

    # -- the organizers and the judges ------------------------------------------------------------

    async def pending(self, request: web.Request) -> dict[str, Any]:
        holder(request, self.tokens, "organizer")
        shown = [
            card(i, self.book) | {"status": i.status, "note": i.note, "contact": i.contact}
            for i in self.book.initiatives.values()
        ]
        return p.ok(initiatives=shown)

    async def review(self, request: web.Request) -> dict[str, Any]:
        holder(request, self.tokens, "organizer")
        review = await read_body(request, BASE, Review, BODY_MOST)
        await self.service.review(review.initiative, review.approved, review.note.strip()[:500])
        return p.ok()

    async def judging(self, request: web.Request) -> dict[str, Any]:
        judge = holder(request, self.tokens, "judge")
        criteria = [{"id": c.id, "title": c.title, "max": str(c.max)} for c in self.service.config.criteria]
        shown = []
        for i in self.book.initiatives.values():
            if i.status == "approved":
                mine = self.book.marks.get(i.id, {}).get(judge)
                shown.append(
                    card(i, self.book) | {"marks": None if mine is None else {k: str(v) for k, v in mine.items()}}
                )
        return p.ok(judge=judge, criteria=criteria, initiatives=shown)

    async def score(self, request: web.Request) -> dict[str, Any]:
        judge = holder(request, self.tokens, "judge")
        scores = await read_body(request, BASE, Scores, BODY_MOST)
        await self.service.score(judge, scores.initiative, scores.marks)
        return p.ok()

    async def file(self, request: web.Request) -> web.Response:
        path = await self.service.file_path(request.match_info["name"])
        if path is None:
            raise p.ProtocolError("not_found", "wire.no_such_path", path=request.path[:80])
        return web.Response(
            body=await asyncio.to_thread(path.read_bytes),
            content_type=FILE_TYPES[path.suffix],
            headers={"Cache-Control": "public, max-age=31536000, immutable"},  # named by its content
        )


INITIATIVES = web.AppKey("initiatives", InitiativesApi)
