"""A fake Kubo daemon for tests, answering in the shapes of Kubo's RPC API v0 reference.

Served through ``httpx.MockTransport`` (the real httpx client, request building and streaming,
without a socket). Its state is real: blocks imported with the real importer using the layout
*taken from the request's flags*, with Kubo's own defaults for any flag a client leaves out —
so a client that forgets a flag gets Kubo's (different) CID, as it would in production.

Shapes (docs.ipfs.tech/reference/kubo/rpc):
  add         NDJSON ``{"Name":..,"Hash":..,"Size":"<cumulative>"}``
  cat         raw bytes
  block/get   raw bytes;  block/stat  ``{"Key":..,"Size":..}``
  pin/add     ``{"Pins":[..]}``
  dag/import  NDJSON ``{"Root":{"Cid":{"/":..},"PinErrorMsg":""}}``
  errors      HTTP 500 ``{"Message":..,"Code":0,"Type":"error"}``
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from node.errors import StorageError
from node.storage._cid import ParsedCid, parse_cid
from node.storage.car import read_car
from node.storage.unixfs import Layout, import_stream, read_file, walk_blocks

KUBO_DEFAULTS = {
    "cid-version": "0",
    "raw-leaves": "false",
    "chunker": "size-262144",
    "max-file-links": "174",
}


def _bool(value: str | None, default: bool) -> bool:
    return default if value is None else value.lower() in ("true", "1", "")


def _multipart_file(request: httpx.Request) -> bytes:
    ctype = request.headers["content-type"]
    boundary = ctype.split("boundary=", 1)[1].encode()
    body = request.read()
    parts = body.split(b"--" + boundary)
    for part in parts[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            return content[: -len(b"\r\n")]
    raise ValueError("no file part")


@dataclass
class FakeKubo:
    blocks: dict[ParsedCid, bytes] = field(default_factory=dict)
    pins: set[ParsedCid] = field(default_factory=set)
    requests: list[httpx.Request] = field(default_factory=list)
    transport_failures: list[Exception] = field(default_factory=list)
    """Raised, one per request, before handling (simulates dropped connections)."""
    lie_with_cid: str | None = None
    """If set, ``add`` answers with this CID instead of the real one."""
    cat_override: bytes | None = None
    """If set, ``cat`` streams these bytes (a daemon with a corrupt repo: Kubo does not
    re-hash blocks on read by default, ``Datastore.HashOnRead`` is false)."""

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _error(self, message: str, status: int = 500) -> httpx.Response:
        return httpx.Response(status, json={"Message": message, "Code": 0, "Type": "error"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.transport_failures:
            raise self.transport_failures.pop(0)
        if request.method != "POST":
            return httpx.Response(405, text="405 - Method Not Allowed")
        name = request.url.path.removeprefix("/api/v0/")
        handler: Callable[[httpx.Request], httpx.Response] | None = {
            "add": self._add,
            "cat": self._cat,
            "block/get": self._block_get,
            "block/stat": self._block_stat,
            "pin/add": self._pin_add,
            "dag/import": self._dag_import,
        }.get(name)
        if handler is None:
            return httpx.Response(404, text="404 page not found")
        try:
            return handler(request)
        except StorageError as err:
            return self._error(str(err))

    def _get(self, cid: ParsedCid) -> bytes:
        try:
            return self.blocks[cid.to_v1()]
        except KeyError:
            from node.storage.errors import BlockNotFound

            raise BlockNotFound(cid.encode()) from None

    def _add(self, request: httpx.Request) -> httpx.Response:
        q = {**KUBO_DEFAULTS, **dict(request.url.params)}
        layout = Layout(
            cid_version=int(q["cid-version"]),
            raw_leaves=_bool(q["raw-leaves"], False),
            chunk_size=int(q["chunker"].removeprefix("size-")),
            max_links=int(q["max-file-links"]),
        )
        data = _multipart_file(request)
        only_hash = _bool(q.get("only-hash"), False)

        def keep(cid: ParsedCid, block: bytes) -> None:
            self.blocks.setdefault(cid.to_v1(), block)

        result = import_stream(io.BytesIO(data), layout, None if only_hash else keep)
        if _bool(q.get("pin"), True) and not only_hash:
            self.pins.add(result.root.to_v1())
        answer = {
            "Name": result.cid,  # Kubo names a single unnamed stdin file by its CID
            "Hash": self.lie_with_cid or result.cid,
            "Size": str(result.dag_size),
        }
        return httpx.Response(200, content=json.dumps(answer) + "\n")

    def _cat(self, request: httpx.Request) -> httpx.Response:
        root = parse_cid(request.url.params["arg"])
        length = int(request.url.params.get("length", str(1 << 62)))
        if self.cat_override is not None:
            return httpx.Response(200, content=self.cat_override[:length])
        data = b"".join(read_file(root, self._get, max_bytes=1 << 62))
        return httpx.Response(200, content=data[:length])

    def _block_get(self, request: httpx.Request) -> httpx.Response:
        cid = parse_cid(request.url.params["arg"])
        if cid.to_v1() not in self.blocks:
            return self._error(f"block was not found locally (offline): ipld: could not find {cid}")
        return httpx.Response(200, content=self.blocks[cid.to_v1()])

    def _block_stat(self, request: httpx.Request) -> httpx.Response:
        cid = parse_cid(request.url.params["arg"])
        if cid.to_v1() not in self.blocks:
            return self._error(f"block was not found locally (offline): ipld: could not find {cid}")
        return httpx.Response(
            200, json={"Key": cid.encode(), "Size": len(self.blocks[cid.to_v1()])}
        )

    def _pin_add(self, request: httpx.Request) -> httpx.Response:
        arg = request.url.params["arg"]
        root = parse_cid(arg)
        for _ in walk_blocks(root, self._get):
            pass
        self.pins.add(root.to_v1())
        return httpx.Response(200, json={"Pins": [arg]})

    def _dag_import(self, request: httpx.Request) -> httpx.Response:
        car = read_car(io.BytesIO(_multipart_file(request)))
        for cid, data in car.blocks:
            self.blocks.setdefault(cid.to_v1(), data)
        lines = []
        if _bool(request.url.params.get("pin-roots"), True):
            for root in car.roots:
                try:
                    for _ in walk_blocks(root, self._get):
                        pass
                    self.pins.add(root.to_v1())
                    error = ""
                except StorageError as err:
                    error = str(err)
                lines.append({"Root": {"Cid": {"/": root.encode()}, "PinErrorMsg": error}})
        return httpx.Response(200, content="".join(json.dumps(x) + "\n" for x in lines))
