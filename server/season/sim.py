"""Play a whole season with seeded answers: every show through the engine into the database."""

from __future__ import annotations

import msgspec

from server.core.config import ShowConfig
from server.season.book import SeasonBook
from server.show.engine import Engine
from server.show.sim import Simulator


def register(book: SeasonBook, config: ShowConfig) -> None:
    """Put a season show in the database (its config as JSON: it was made, not read from a file)."""
    book.log.add_show(config, msgspec.json.encode(config).decode(), book.clock())


def play_season(book: SeasonBook, seed: int = 2024, until: str | None = None) -> None:
    """Confirm each stage as the rules say and play its shows, up to and including stage ``until``."""
    for n, stage in enumerate(book.season.stages):
        if stage.id not in book.state.lineups:
            book.confirm(stage.id, by="demo", seed=seed + n)
        for index in range(stage.shows):
            if book.state.result(stage.id, index) is not None:
                continue
            config = book.show_config(stage.id, index)
            register(book, config)
            Simulator(Engine(config, book.log), seed=seed * 100 + n * 10 + index).play()
            book.record(config)
        if stage.id == until:
            return
