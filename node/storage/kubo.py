"""``KuboStore``: the production :class:`~node.storage.base.BlobStore`, over Kubo's RPC API.

Not ipfshttpclient (DESIGN §7): its last release refuses Kubo > 0.7 and silently sends
``raw-leaves=false`` with ``cid_version=1``. This client is small, sync and typed, and:

* sends **every** layout flag explicitly on ``/api/v0/add`` (Kubo's config profiles change the
  defaults) and computes the CID locally from the very bytes it uploads; a different CID from
  Kubo raises :class:`~node.storage.errors.CidMismatch`;
* verifies every byte it reads: ``cat`` walks the DAG with ``block/get`` and re-hashes each
  block before yielding it (Kubo's ``/cat`` streams unverifiable bytes; :meth:`KuboStore.fetch`
  uses it only when it can re-derive the root CID from the whole response);
* bounds everything: timeouts on every request, a size cap on every response, and retries
  on transport errors only, under :data:`node.retry.STORAGE_IDEMPOTENT` (every call here is a
  read or a content-addressed write; an upload whose body cannot be rebuilt is sent once).
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, Final

import httpx

from node import safejson
from node.retry import STORAGE_IDEMPOTENT, retry_call
from node.storage._cid import ParsedCid, parse_cid
from node.storage._http import read_capped
from node.storage.car import read_car
from node.storage.errors import (
    BlobTooLarge,
    BlockNotFound,
    CidMismatch,
    InvalidCid,
    KuboRpcError,
    StorageTransportError,
)
from node.storage.unixfs import PROJECT_LAYOUT, FileImporter, Layout, read_file
from node.types import Cid

__all__ = ["DEFAULT_API_URL", "KuboStore"]

DEFAULT_API_URL: Final = "http://127.0.0.1:5001"
MAX_JSON_BYTES: Final = 1 << 20
"""Cap on JSON answers (add, pin/add, dag/import, errors): a few hundred bytes per root."""
MAX_BLOCK_BYTES: Final = 4 << 20
"""Cap on ``block/get``: Kubo refuses blocks over 2 MiB (``--allow-big-block`` aside)."""
_UPLOAD_PIECE: Final = 256 * 1024
# Kubo's messages for a block that is not in the local repo (offline lookups).
_NOT_FOUND_MARKERS: Final = ("not found", "could not find")


class KuboStore:
    """A Kubo daemon as a BlobStore, with CIDs checked against the local importer."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        layout: Layout = PROJECT_LAYOUT,
        timeout_s: float = 60.0,
        attempts: int = 3,
        backoff_s: float = 0.5,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Configure the client (nothing is sent until the first call).

        Args:
            api_url: the RPC API's base URL (never expose it publicly; DESIGN §2).
            layout: importer settings sent with every add and used to check the answer.
            timeout_s: per-request read/write/pool timeout; connecting gets at most 5 s.
            attempts: total tries per request on transport errors.
            backoff_s: first retry wait, doubling (with jitter, capped; STORAGE_IDEMPOTENT).
            headers: extra headers (e.g. an ``Authorization`` for a proxied API).
            transport: an httpx transport (tests inject a fake Kubo here).
        """
        self._layout = layout
        self._retry = STORAGE_IDEMPOTENT.with_attempts(attempts).with_waits(backoff_s)
        self._client = httpx.Client(
            base_url=api_url,
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
            headers=headers,
            transport=transport,
        )

    @property
    def layout(self) -> Layout:
        """The importer settings this store adds blobs with."""
        return self._layout

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> KuboStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------

    def _rpc(
        self,
        endpoint: str,
        params: dict[str, str],
        *,
        limit: int,
        body: Callable[[], tuple[Iterator[bytes], str]] | None = None,
        retry: bool = True,
    ) -> bytes:
        """POST to ``/api/v0/<endpoint>``; return the body (at most ``limit`` bytes).

        ``body`` builds a fresh ``(chunks, content_type)`` per attempt, so a retry re-sends the
        upload from the start.
        """

        def attempt() -> bytes:
            content: Iterator[bytes] | None = None
            headers: dict[str, str] = {}
            if body is not None:
                content, headers["Content-Type"] = body()
            request = self._client.build_request(
                "POST", f"/api/v0/{endpoint}", params=params, content=content, headers=headers
            )
            response = self._client.send(request, stream=True)
            try:
                if response.status_code != httpx.codes.OK:
                    raise self._error(endpoint, response)
                return read_capped(response, limit)
            finally:
                response.close()

        return retry_call(
            attempt,
            policy=self._retry if retry else self._retry.with_attempts(1),
            retry_if=lambda err: isinstance(err, httpx.TransportError),
            give_up=lambda last: StorageTransportError(endpoint, type(last).__name__),
        )

    @staticmethod
    def _error(endpoint: str, response: httpx.Response) -> KuboRpcError:
        try:
            raw = read_capped(response, MAX_JSON_BYTES)
        except BlobTooLarge:
            return KuboRpcError(endpoint, response.status_code, "(oversized error body)")
        try:
            message = str(safejson.loads(raw).get("Message", ""))
        except (ValueError, AttributeError):
            message = raw[:200].decode("utf-8", "replace")
        return KuboRpcError(endpoint, response.status_code, message)

    @staticmethod
    def _is_not_found(err: KuboRpcError) -> bool:
        return any(marker in err.message.lower() for marker in _NOT_FOUND_MARKERS)

    @staticmethod
    def _json_lines(raw: bytes, endpoint: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                value = safejson.loads(line)
            except ValueError:
                raise KuboRpcError(endpoint, 200, "answer is not NDJSON") from None
            if not isinstance(value, dict):
                raise KuboRpcError(endpoint, 200, "answer line is not an object")
            out.append(value)
        return out

    @staticmethod
    def _multipart(
        source: BinaryIO, tee: FileImporter | None, filename: str
    ) -> tuple[Iterator[bytes], str]:
        boundary = secrets.token_hex(16)
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def chunks() -> Iterator[bytes]:
            yield head
            while piece := source.read(_UPLOAD_PIECE):
                if tee is not None:
                    tee.write(piece)
                yield piece
            yield tail

        return chunks(), f"multipart/form-data; boundary={boundary}"

    # -- BlobStore ------------------------------------------------------------------------

    def _layout_params(self) -> dict[str, str]:
        lay = self._layout
        return {
            "cid-version": str(lay.cid_version),
            "raw-leaves": _flag(lay.raw_leaves),
            "chunker": f"size-{lay.chunk_size}",
            "max-file-links": str(lay.max_links),
            "hash": "sha2-256",
            "trickle": "false",
            "inline": "false",
            "wrap-with-directory": "false",
            "progress": "false",
        }

    def add(self, data: bytes | BinaryIO, *, pin: bool = True) -> Cid:
        """Add a blob through ``/api/v0/add`` and check Kubo's CID against the local one.

        A seekable stream (or bytes) is re-sent on a transport error; an unseekable one is sent
        once, because its bytes cannot be replayed.

        Raises:
            CidMismatch: if Kubo's CID differs from the locally computed one.
            KuboRpcError: if Kubo answers with an error.
            StorageTransportError: if Kubo cannot be reached.
        """
        return self._add(data, pin=pin, only_hash=False)

    def add_only_hash(self, data: bytes | BinaryIO) -> Cid:
        """Ask Kubo for the CID without storing (``--only-hash``); checked like :meth:`add`."""
        return self._add(data, pin=False, only_hash=True)

    def _add(self, data: bytes | BinaryIO, *, pin: bool, only_hash: bool) -> Cid:
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
        start = stream.tell() if stream.seekable() else None
        params = {**self._layout_params(), "pin": _flag(pin), "only-hash": _flag(only_hash)}
        importers: list[FileImporter] = []

        def body() -> tuple[Iterator[bytes], str]:
            if start is not None:
                stream.seek(start)
            importers.append(FileImporter(self._layout))
            return self._multipart(stream, importers[-1], "blob")

        raw = self._rpc("add", params, limit=MAX_JSON_BYTES, body=body, retry=start is not None)
        local = importers[-1].finish()
        lines = [line for line in self._json_lines(raw, "add") if "Hash" in line]
        if not lines:
            raise KuboRpcError("add", 200, "answer has no Hash")
        remote = str(lines[-1]["Hash"])
        try:
            same = parse_cid(remote) == local.root
        except InvalidCid:
            same = False
        if not same:
            raise CidMismatch(local.cid, remote)
        logging.getLogger(__name__).debug("kubo add %s (%d bytes)", local.cid, local.size)
        return local.cid

    def _block_get(self, cid: ParsedCid) -> bytes:
        try:
            return self._rpc("block/get", {"arg": cid.encode()}, limit=MAX_BLOCK_BYTES)
        except KuboRpcError as err:
            if self._is_not_found(err):
                raise BlockNotFound(cid.encode()) from err
            raise

    def get(self, cid: Cid | ParsedCid) -> bytes:
        """One block via ``block/get``, re-hashed against its CID.

        Raises:
            BlockNotFound: if Kubo reports the block missing.
            CidMismatch: if Kubo returns other bytes.
        """
        parsed = cid if isinstance(cid, ParsedCid) else parse_cid(cid)
        data = self._block_get(parsed)
        parsed.verify(data)
        return data

    def cat(self, cid: Cid, *, max_bytes: int) -> Iterator[bytes]:
        """Stream a file by walking its DAG with ``block/get``, verifying every block first.

        Raises:
            BlobTooLarge, BlockNotFound, CidMismatch: see :class:`~node.storage.base.BlobStore`.
        """
        return read_file(parse_cid(cid), self._block_get, max_bytes=max_bytes)

    def fetch(self, cid: Cid, *, max_bytes: int) -> bytes:
        """Read a whole blob with one ``/api/v0/cat`` call, then prove it by re-importing.

        Faster than :meth:`cat` for small blobs (one request instead of one per block). If the
        bytes do not re-import to ``cid`` under this store's layout (a blob added with another
        layout, or a lying daemon), fall back to the block-verified walk, which either proves
        the bytes or raises.

        Raises:
            BlobTooLarge, BlockNotFound, CidMismatch: as for :meth:`cat`.
        """
        root = parse_cid(cid)
        params = {"arg": root.encode(), "length": str(max_bytes + 1), "progress": "false"}
        try:
            raw = self._rpc("cat", params, limit=max_bytes + 1)
        except KuboRpcError as err:
            if self._is_not_found(err):
                raise BlockNotFound(root.encode()) from err
            raise
        if len(raw) > max_bytes:
            raise BlobTooLarge(len(raw), max_bytes)
        importer = FileImporter(self._layout)
        importer.write(raw)
        if importer.finish().root == root:
            return raw
        return b"".join(self.cat(cid, max_bytes=max_bytes))

    def has(self, cid: Cid) -> bool:
        """Whether Kubo has the root block locally (``block/stat`` with ``offline=true``)."""
        try:
            self._rpc("block/stat", {"arg": cid, "offline": "true"}, limit=MAX_JSON_BYTES)
        except KuboRpcError as err:
            if self._is_not_found(err):
                return False
            raise
        return True

    def pin(self, cid: Cid) -> None:
        """Pin recursively with ``pin/add``; Kubo must report this very CID pinned.

        Raises:
            KuboRpcError: if Kubo fails, or its answer does not list the CID.
        """
        root = parse_cid(cid)
        params = {"arg": root.encode(), "recursive": "true", "progress": "false"}
        raw = self._rpc("pin/add", params, limit=MAX_JSON_BYTES)
        pins: list[str] = []
        for line in self._json_lines(raw, "pin/add"):
            pins += [str(p) for p in line.get("Pins") or []]
        if not any(_same(p, root) for p in pins):
            raise KuboRpcError("pin/add", 200, f"answer does not list {root.encode()}: {pins}")

    def import_car(self, stream: BinaryIO, *, pin: bool = True) -> list[Cid]:
        """Import a CAR v1 with ``dag/import`` after verifying every block locally.

        The stream is read twice (verify, then upload), so it must be seekable.

        Returns:
            The CAR's roots.

        Raises:
            CarFormatError, CidMismatch: if the CAR is malformed or a block is forged.
            KuboRpcError: if Kubo fails, reports a pin error, or reports other roots.
            ValueError: if the stream is not seekable.
        """
        if not stream.seekable():
            raise ValueError("import_car needs a seekable stream (it is verified, then sent)")
        start = stream.tell()
        car = read_car(stream)
        for _ in car.blocks:  # read_car re-hashes each block as it is iterated
            pass
        roots = list(car.roots)

        def body() -> tuple[Iterator[bytes], str]:
            stream.seek(start)
            return self._multipart(stream, None, "import.car")

        params = {"pin-roots": _flag(pin), "stats": "false", "allow-big-block": "false"}
        raw = self._rpc("dag/import", params, limit=MAX_JSON_BYTES, body=body)
        reported: list[str] = []
        for line in self._json_lines(raw, "dag/import"):
            root_info = line.get("Root")
            if not isinstance(root_info, dict):
                continue
            if root_info.get("PinErrorMsg"):
                raise KuboRpcError("dag/import", 200, str(root_info["PinErrorMsg"]))
            cid_obj = root_info.get("Cid")
            if isinstance(cid_obj, dict):
                reported.append(str(cid_obj.get("/")))
        if pin and sorted(_canon(c) for c in reported) != sorted(r.encode() for r in roots):
            raise KuboRpcError("dag/import", 200, f"reported roots {reported} differ from CAR")
        return [r.encode() for r in roots]


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _canon(value: str) -> str:
    try:
        return parse_cid(value).encode()
    except InvalidCid:
        return value


def _same(value: str, cid: ParsedCid) -> bool:
    try:
        return parse_cid(value) == cid
    except InvalidCid:
        return False
