"""The files an initiative comes with (its pictures, its document), kept beside the stage's database under
the hash of their bytes: checked for what they claim to be, written whole and synced before the event
that names them is recorded, so the log never names a file the disk lacks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from server.core.initiatives.book import InitiativeError

# What a file may be, by its first bytes: (kind, extension, content type).
KINDS = (
    (b"\xff\xd8\xff", "image", ".jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image", ".png", "image/png"),
    (b"%PDF-", "document", ".pdf", "application/pdf"),
)
IMAGE_MOST = 3 * 1024 * 1024
DOCUMENT_MOST = 10 * 1024 * 1024
TYPES = {ext: content_type for _, _, ext, content_type in KINDS}


class FileStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, data: bytes, kind: str, name: str) -> str:
        """Keep ``data`` (an image, or a document) and return its stored name; ``InitiativeError`` if it is
        not one, or too big. ``name`` is the file's name as sent, for the refusal's words."""
        ext = next((e for magic, k, e, _ in KINDS if k == kind and data.startswith(magic)), None)
        if ext is None:
            key = "initiative.not_an_image" if kind == "image" else "initiative.not_a_pdf"
            raise InitiativeError(key, file=name[:80])
        most = IMAGE_MOST if kind == "image" else DOCUMENT_MOST
        if len(data) > most:
            raise InitiativeError("initiative.file_too_big", file=name[:80], most=most // (1024 * 1024))
        stored = hashlib.sha256(data).hexdigest()[:32] + ext
        path = self.folder / stored
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            part = path.with_name(f"{stored}.{os.getpid()}.part")  # a cluster's edge may write it beside the owner
            with part.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, path)
        return stored

    @staticmethod
    def valid(stored: str) -> bool:
        """Whether ``stored`` is a name the store gives (never a path elsewhere)."""
        return len(stored) <= 40 and all(c.isalnum() or c == "." for c in stored) and stored.count(".") == 1

    def path(self, stored: str) -> Path | None:
        """The path of a stored file, or None (a name that is not one of ours is never a path)."""
        if not self.valid(stored):
            return None
        path = self.folder / stored
        return path if path.is_file() else None
