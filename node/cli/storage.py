"""``datadao storage car | pin | pins``: take a contribution off this machine.

A contribution lives in the node's blob store (the on-disk blockstore, or Kubo). Two ways to
keep it available elsewhere, both by content address, so nobody has to be trusted with bytes:

* ``car`` writes the sealed file's whole DAG as a CAR v1 stream (``ipfs dag export`` order,
  every block re-hashed as it is read), which any pinning provider, ``ipfs dag import`` or
  another node's ``LocalBlockstore.import_car`` accepts and checks against the same root CID;
* ``pin`` asks a remote IPFS Pinning Service API (``DATADAO_PINNING_ENDPOINT`` with
  ``DATADAO_PINNING_TOKEN``) to pin a CID and waits until it is pinned; ``pins`` lists the
  requests this node made, with their current status from the service.

The service returns a request id per pin; the spec has no "my pins" query every provider
implements the same way, so this node keeps its own record (``<home>/storage/pins.json``) and
asks the service about each request id. The token is read from the environment or
``config.toml`` only and never printed. Every failure is one line and exit code 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import click
from rich.table import Table

from node.cli.options import console, settings_of
from node.errors import InputError, StorageError
from node.settings import NodeSettings
from node.storage._cid import ParsedCid, parse_cid
from node.storage.car import write_car
from node.storage.errors import PinFailed, PinningServiceError
from node.storage.unixfs import walk_blocks
from node.types import Cid
from node.wiring import blob_store, pinning_client

__all__ = ["PinRecord", "SubmissionNotFound", "storage"]


class SubmissionNotFound(InputError):
    """The submission asked for is not in this node's database (or has no CID yet)."""


@runtime_checkable
class _BlockSource(Protocol):
    """What a CAR export needs from a store: one verified block by CID."""

    def get(self, cid: ParsedCid) -> bytes: ...


# --------------------------------------------------------------------------------- CAR


def _resolve_cid(
    settings: NodeSettings, cid: str | None, submission: int | None, file_id: str | None
) -> Cid:
    given = [x for x in (cid, submission, file_id) if x is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of CID, --submission N or --file-id HEX")
    if cid is not None:
        parse_cid(cid)  # InvalidCid before anything is opened
        return Cid(cid)
    from node.db import crud  # the database only when a submission is named
    from node.db.engine import open_database, session_scope

    engine = open_database(settings.resolved_database_url)
    try:
        with session_scope(engine) as session:
            if submission is not None:
                row = crud.get_submission(session=session, submission_id=submission)
                what = f"submission #{submission}"
            else:
                key = str(file_id).lower()
                row = crud.get_by_file_id(
                    session=session, file_id=key if key.startswith("0x") else "0x" + key
                )
                what = f"file id {file_id}"
    finally:
        engine.dispose()
    if row is None:
        raise SubmissionNotFound(
            f"{what} is not in this node's database (see `datadao submissions`)"
        )
    if not row.cid:
        raise SubmissionNotFound(f"{what} is not stored yet (status {row.status.value})")
    return Cid(row.cid)


def export_car(source: _BlockSource, cid: Cid, out: Path) -> int:
    """Write the DAG under ``cid`` to ``out`` as CAR v1, atomically: a missing or corrupt block
    leaves no file behind, and a finished file is fsync'd before it takes the name.

    Returns:
        The number of bytes written.

    Raises:
        BlockNotFound, CidMismatch, MalformedBlock: the DAG is incomplete or corrupt.
        InvalidCid: ``cid`` is not a CID.
    """
    root = parse_cid(cid)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.part")
    try:
        with tmp.open("wb") as fh:
            size = write_car(fh, [root], walk_blocks(root, source.get))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return size


# --------------------------------------------------------------------------------- pin record


@dataclass(frozen=True)
class PinRecord:
    """One pin request this node made, as ``pins.json`` keeps it."""

    request_id: str
    cid: str
    name: str | None
    endpoint: str
    requested_at: str
    status: str


def _pins_path(settings: NodeSettings) -> Path:
    return settings.home / "storage" / "pins.json"


def load_pins(path: Path) -> list[PinRecord]:
    """The recorded pin requests (none if the file does not exist).

    Raises:
        StorageError: the file exists but is not a pin record.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as err:
        raise StorageError(f"cannot read the pin record {path}: {err.strerror}") from None
    try:
        data = json.loads(raw)
        return [PinRecord(**item) for item in data["pins"]]
    except (ValueError, TypeError, KeyError) as err:
        raise StorageError(
            f"the pin record {path} is damaged ({type(err).__name__}); move it away to start anew"
        ) from None


def save_pins(path: Path, pins: list[PinRecord]) -> None:
    """Replace the record atomically (a crash leaves the old or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    try:
        tmp.write_text(json.dumps({"version": 1, "pins": [asdict(p) for p in pins]}, indent=1))
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _upsert(pins: list[PinRecord], record: PinRecord) -> list[PinRecord]:
    others = [p for p in pins if (p.request_id, p.endpoint) != (record.request_id, record.endpoint)]
    return [*others, record]


# --------------------------------------------------------------------------------- commands


@click.group()
def storage() -> None:
    """Export a contribution as a CAR file; pin CIDs with a remote pinning service."""


@storage.command("car")
@click.argument("cid", required=False)
@click.option(
    "--submission", type=click.IntRange(min=1), default=None, help="A # from `submissions`."
)
@click.option("--file-id", default=None, help="A submission's file id (0x…), from this node's DB.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The CAR file to write.",
)
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@click.pass_context
def car(
    ctx: click.Context,
    cid: str | None,
    submission: int | None,
    file_id: str | None,
    out: Path,
    force: bool,
) -> None:
    """Write the DAG of CID (or of a stored contribution) to OUT as CAR v1.

    Any pinning provider that takes CAR uploads, `ipfs dag import`, or another datadao node
    re-hashes every block and gets the same root CID back.
    """
    settings = settings_of(ctx)
    root = _resolve_cid(settings, cid, submission, file_id)
    if out.exists() and not force:
        raise InputError(f"{out} exists; pass --force to overwrite it")
    store = blob_store(settings)
    if not isinstance(store, _BlockSource):
        raise StorageError(f"{type(store).__name__} cannot read single blocks for a CAR export")
    try:
        size = export_car(store, root, out)
    except OSError as err:
        raise InputError(f"cannot write {out}: {err.strerror or err}") from None
    click.echo(f"wrote {out}: CAR v1, root {root}, {size} bytes")


@storage.command("pin")
@click.argument("cid")
@click.option("--name", default=None, help="A name the service shows for this pin.")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait until the service reports the pin as pinned (or failed).",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Seconds to wait for `pinned`.",
)
@click.pass_context
def pin(ctx: click.Context, cid: str, name: str | None, wait: bool, deadline: float) -> None:
    """Ask the pinning service (DATADAO_PINNING_ENDPOINT) to pin CID.

    The service fetches the blocks over IPFS: they must be reachable there (a Kubo node holding
    them), or uploaded to the provider first as a CAR (`datadao storage car`).
    """
    settings = settings_of(ctx)
    parse_cid(cid)
    path = _pins_path(settings)
    pins = load_pins(path)  # a damaged record is reported before anything is sent
    endpoint = str(settings.pinning_endpoint)
    with pinning_client(settings) as client:
        status = client.add_pin(Cid(cid), name)
        record = PinRecord(
            request_id=status.request_id,
            cid=cid,
            name=name,
            endpoint=endpoint,
            requested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            status=status.status,
        )
        pins = _upsert(pins, record)
        save_pins(path, pins)
        click.echo(f"pin requested: {cid} (request {status.request_id}, {status.status})")
        if wait and status.status != "pinned":
            try:
                status = client.wait_pinned(status, deadline_s=deadline)
            except PinFailed:
                save_pins(path, _upsert(pins, _with_status(record, "failed")))
                raise
            save_pins(path, _upsert(pins, _with_status(record, status.status)))
    click.echo(f"{cid}: {status.status}")


def _with_status(record: PinRecord, status: str) -> PinRecord:
    return PinRecord(**{**asdict(record), "status": status})


@storage.command("pins")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@click.pass_context
def pins(ctx: click.Context, as_json: bool) -> None:
    """The pin requests this node made, with their status now (asked of the service)."""
    settings = settings_of(ctx)
    path = _pins_path(settings)
    records = load_pins(path)
    endpoint = str(settings.pinning_endpoint)
    fresh: list[PinRecord] = []
    with pinning_client(settings) as client:
        for r in records:
            if r.endpoint != endpoint:
                fresh.append(r)  # another service's request: shown as last recorded
                continue
            try:
                now: str = client.get_pin(r.request_id, cid=Cid(r.cid)).status
            except PinningServiceError as err:
                if err.status != 404:
                    raise
                now = "unknown to the service"
            fresh.append(_with_status(r, now))
    if fresh != records:
        save_pins(path, fresh)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in fresh], indent=2))
        return
    if not fresh:
        click.echo("no pin requests recorded (datadao storage pin CID)")
        return
    table = Table(title=f"pins ({endpoint})", title_justify="left")
    for column in ("request", "CID", "name", "status", "requested"):
        table.add_column(column)
    for r in fresh:
        status = r.status if r.endpoint == endpoint else f"{r.status} (at {r.endpoint})"
        table.add_row(r.request_id, r.cid, r.name or "", status, r.requested_at)
    console().print(table)
