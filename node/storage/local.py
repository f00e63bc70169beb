"""``LocalBlockstore``: the embedded default store, blocks on local disk keyed by CID.

On-disk layout under ``root``::

    blocks/<shard>/<cidv1>   one file per block; <shard> = the two characters before the last
                             one of the key (Kubo flatfs's ``next-to-last/2``), so base32 keys
                             spread evenly over 1024 directories
    pins/<cidv1>             one empty file per pinned root
    tmp/                     staging for atomic writes (same file system as blocks/)

Keys are the CIDv1 string, so a dag-pb block reached as CIDv0 or CIDv1 is stored once. Writes
are atomic and durable: write to ``tmp/``, fsync, ``os.replace`` into place, fsync the directory.
A crash leaves either the old state or the new one, plus at worst unpinned blocks that
:meth:`LocalBlockstore.gc` removes. One process owns a store; ``gc`` must not run while an
``add`` is in progress (its blocks are not pinned until it finishes).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from node.storage._cid import DAG_PB, ParsedCid, parse_cid
from node.storage.car import read_car, write_car
from node.storage.dagpb import DagPbError, decode_node
from node.storage.errors import BlockNotFound
from node.storage.unixfs import PROJECT_LAYOUT, Layout, import_stream, read_file, walk_blocks
from node.types import Cid

__all__ = ["LocalBlockstore"]

log = logging.getLogger(__name__)


def _as_parsed(cid: Cid | ParsedCid) -> ParsedCid:
    return cid if isinstance(cid, ParsedCid) else parse_cid(cid)


class LocalBlockstore:
    """Blocks on disk by CID, with Kubo-identical import, verified reads, pins, GC and CAR I/O."""

    def __init__(self, root: Path, *, layout: Layout = PROJECT_LAYOUT, fsync: bool = True) -> None:
        """Open (and create if needed) a store.

        Args:
            root: the store's directory.
            layout: importer settings for :meth:`add`/:meth:`put_file`.
            fsync: make each write durable before returning. Off only for throwaway stores
                (tests, benchmarks): without it a power cut can lose acknowledged blocks.
        """
        self._root = root
        self._layout = layout
        self._fsync = fsync
        self._blocks = root / "blocks"
        self._pins = root / "pins"
        self._tmp = root / "tmp"
        for directory in (self._blocks, self._pins, self._tmp):
            directory.mkdir(parents=True, exist_ok=True)

    @property
    def layout(self) -> Layout:
        """The importer settings this store adds blobs with."""
        return self._layout

    # -- blocks ---------------------------------------------------------------------------

    @staticmethod
    def _key(cid: ParsedCid) -> str:
        return cid.to_v1().encode()

    def _block_path(self, cid: ParsedCid) -> Path:
        key = self._key(cid)
        return self._blocks / key[-3:-1] / key

    def _write_atomic(self, path: Path, data: bytes) -> None:
        tmp = self._tmp / f"{path.name}.{secrets.token_hex(8)}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                if self._fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
            path.parent.mkdir(exist_ok=True)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        if self._fsync:
            self._fsync_dir(path.parent)

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def put_block(self, cid: ParsedCid, data: bytes) -> None:
        """Store one block after checking that it hashes to ``cid``; a no-op if present.

        Raises:
            CidMismatch: if ``data`` does not hash to ``cid``.
        """
        cid.verify(data)
        path = self._block_path(cid)
        if not path.exists():
            self._write_atomic(path, data)

    def _put_verified(self, cid: ParsedCid, data: bytes) -> None:
        # The importer just hashed these bytes to make the CID; hashing again buys nothing.
        path = self._block_path(cid)
        if not path.exists():
            self._write_atomic(path, data)

    def _read_raw(self, cid: ParsedCid) -> bytes:
        try:
            return self._block_path(cid).read_bytes()
        except FileNotFoundError:
            raise BlockNotFound(cid.encode()) from None

    def get(self, cid: Cid | ParsedCid) -> bytes:
        """Return one block's bytes, re-hashed against its CID.

        Raises:
            BlockNotFound: if the block is not stored.
            CidMismatch: if the stored bytes are corrupt.
            InvalidCid: if ``cid`` is not a valid CID.
        """
        parsed = _as_parsed(cid)
        data = self._read_raw(parsed)
        parsed.verify(data)
        return data

    def has(self, cid: Cid | ParsedCid) -> bool:
        """Whether the block ``cid`` is stored (its children are not checked; see :meth:`pin`)."""
        return self._block_path(_as_parsed(cid)).is_file()

    # -- files ----------------------------------------------------------------------------

    def add(self, data: bytes | BinaryIO, *, pin: bool = True) -> Cid:
        """Import a blob (bytes or a stream) as UnixFS and return its root CID.

        Args:
            data: the blob, or a binary stream read to its end with flat memory.
            pin: protect the blob from :meth:`gc` (Kubo's ``add`` pins by default too).
        """
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
        result = import_stream(stream, self._layout, self._put_verified)
        if pin:
            self._write_pin(result.root)
        log.debug("added %s (%d bytes, %d blocks)", result.cid, result.size, result.blocks)
        return result.cid

    def put_file(self, path: Path, *, pin: bool = True) -> Cid:
        """Import a file from disk, streaming (see :meth:`add`)."""
        with open(path, "rb") as fh:
            return self.add(fh, pin=pin)

    def cat(self, cid: Cid, *, max_bytes: int) -> Iterator[bytes]:
        """Stream a file back, verifying every block before yielding its bytes.

        Raises:
            BlobTooLarge: if the file is larger than ``max_bytes``.
            BlockNotFound: if the root (or, during iteration, any block) is missing.
            CidMismatch: if a stored block is corrupt.
            MalformedBlock, UnsupportedNode: if the DAG is not a UnixFS file.
        """
        return read_file(parse_cid(cid), self._read_raw, max_bytes=max_bytes)

    # -- pins and garbage collection ------------------------------------------------------

    def _write_pin(self, root: ParsedCid) -> None:
        path = self._pins / self._key(root)
        if not path.exists():
            self._write_atomic(path, b"")

    def pin(self, cid: Cid) -> None:
        """Pin a root after checking that its whole DAG is present and intact.

        Raises:
            BlockNotFound: if any block under the root is missing.
            CidMismatch: if any block is corrupt.
        """
        root = parse_cid(cid)
        for _ in walk_blocks(root, self._read_raw):
            pass
        self._write_pin(root)

    def unpin(self, cid: Cid) -> None:
        """Remove a pin (its blocks stay until :meth:`gc` or :meth:`delete`)."""
        with contextlib.suppress(FileNotFoundError):
            (self._pins / self._key(parse_cid(cid))).unlink()

    def pins(self) -> list[Cid]:
        """The pinned roots, as CIDv1 strings, sorted."""
        return sorted(Cid(p.name) for p in self._pins.iterdir())

    def _reachable(self, root: ParsedCid) -> set[str]:
        """Keys of every stored block under ``root``. Unverified and tolerant of missing or
        undecodable blocks: deciding what to keep must not fail on the damage it may clean up."""
        seen: set[str] = set()
        stack = [root]
        while stack:
            cid = stack.pop()
            key = self._key(cid)
            if key in seen:
                continue
            seen.add(key)
            if cid.codec != DAG_PB:
                continue
            try:
                node = decode_node(self._read_raw(cid))
            except (BlockNotFound, DagPbError):
                continue
            stack.extend(link.cid for link in node.links)
        return seen

    def _live(self) -> set[str]:
        live: set[str] = set()
        for pinned in self.pins():
            live |= self._reachable(parse_cid(pinned))
        return live

    def _remove(self, keys: set[str]) -> int:
        removed = 0
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                (self._blocks / key[-3:-1] / key).unlink()
                removed += 1
        return removed

    def delete(self, cid: Cid) -> int:
        """Unpin a root and remove its blocks, except those another pinned root still uses.

        Returns:
            The number of block files removed.
        """
        root = parse_cid(cid)
        self.unpin(cid)
        doomed = self._reachable(root) - self._live()
        removed = self._remove(doomed)
        log.info("deleted %s: %d blocks removed", root.encode(), removed)
        return removed

    def gc(self) -> int:
        """Remove every block not reachable from a pin, and stale staging files.

        Returns:
            The number of block files removed.
        """
        live = self._live()
        stored = {
            p.name for shard in self._blocks.iterdir() if shard.is_dir() for p in shard.iterdir()
        }
        removed = self._remove(stored - live)
        for stale in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        log.info("gc: %d blocks removed, %d kept", removed, len(stored) - removed)
        return removed

    # -- CAR ------------------------------------------------------------------------------

    def export_car(self, cid: Cid, out: BinaryIO) -> int:
        """Write the DAG under ``cid`` as CAR v1, in ``ipfs dag export`` order, verifying blocks.

        Returns:
            The number of bytes written.

        Raises:
            BlockNotFound, CidMismatch: if the DAG is incomplete or corrupt.
        """
        root = parse_cid(cid)
        return write_car(out, [root], walk_blocks(root, self._read_raw))

    def import_car(self, stream: BinaryIO, *, pin: bool = True) -> list[Cid]:
        """Store every block of a CAR v1 stream, each verified, then pin its roots.

        Returns:
            The CAR's roots.

        Raises:
            CarFormatError: if the stream is not a valid CAR v1.
            CidMismatch: if a block does not match its CID (blocks before it stay, unpinned).
            BlockNotFound: with ``pin``, if the CAR does not hold a root's complete DAG.
        """
        car = read_car(stream)
        for block_cid, data in car.blocks:
            self._put_verified(block_cid, data)  # read_car verified it
        roots = [root.encode() for root in car.roots]
        if pin:
            for root in roots:
                self.pin(root)
        return roots
