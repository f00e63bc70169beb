"""Exports the browser handed over, kept under ``<home>/ui/uploads/<id>/<name>``.

The id is the first 32 hex digits of the export's SHA-256, so uploading the same export twice
gives the same path: the contribution pipeline then resumes (or answers "already submitted")
exactly as ``datadao contribute`` does when it is run again on the same file. Nothing but an id
of that exact shape reaches the file system, so no parameter can name a path outside the
uploads directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from node.errors import InputError

__all__ = ["UnknownUpload", "Upload", "UploadStore", "UploadTooLarge", "safe_name"]

_ID = re.compile(r"[0-9a-f]{32}")
_NAME_KEEP = re.compile(r"[^A-Za-z0-9._ -]+")
_CHUNK = 1 << 20


class UnknownUpload(InputError):
    """No upload with this id (or the id is not one this app could have made)."""


class UploadTooLarge(InputError):
    """The export is larger than the app accepts (``--max-upload-mb``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the export is larger than the {limit >> 20} MiB this app accepts")
        self.limit = limit


def safe_name(name: str | None) -> str:
    """The file name to keep: its last path component, with only plain characters; the
    extension matters (the importers sniff ``.zip``, ``.json``, ``.csv``)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _NAME_KEEP.sub("_", base).strip(" .") or "export"
    return cleaned[:120]


@dataclass(frozen=True)
class Upload:
    id: str
    name: str
    path: Path
    size: int


class UploadStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, chunks: Iterable[bytes], name: str | None, *, max_bytes: int) -> Upload:
        """Write the export, hashing it; refuse it past ``max_bytes`` (nothing kept then).

        Raises:
            UploadTooLarge: more than ``max_bytes``.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".incoming-{secrets.token_hex(8)}"
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("wb") as fh:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadTooLarge(max_bytes)
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            upload_id = digest.hexdigest()[:32]
            folder = self.root / upload_id
            if folder.is_dir():  # the same export again: keep the first copy (its path)
                return self.get(upload_id)
            folder.mkdir()
            target = folder / safe_name(name)
            tmp.replace(target)
            return Upload(upload_id, target.name, target, size)
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, upload_id: str) -> Upload:
        """Raises: UnknownUpload: not an id of this store's shape, or nothing under it."""
        if not _ID.fullmatch(upload_id):
            raise UnknownUpload("no such upload")
        folder = self.root / upload_id
        files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        if len(files) != 1:
            raise UnknownUpload("no such upload")
        path = files[0]
        return Upload(upload_id, path.name, path, path.stat().st_size)

    def list(self) -> list[Upload]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in self.root.iterdir():
            if _ID.fullmatch(folder.name):
                try:
                    found.append(self.get(folder.name))
                except UnknownUpload:
                    continue
        return sorted(found, key=lambda u: u.path.stat().st_mtime, reverse=True)

    def remove(self, upload_id: str) -> None:
        shutil.rmtree(self.get(upload_id).path.parent)
