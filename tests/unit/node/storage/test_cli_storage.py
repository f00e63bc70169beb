"""``datadao storage car | pin | pins`` through the root group, against the on-disk blockstore and
the fake Pinning Service API of ``tests/unit/node/storage/test_pinning_client.py`` (a real
socket). Hostile inputs first: each must end in one line on stderr and exit code 1."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_pinning_client import TOKEN, ServiceState, _handler

from node.cli.main import cli
from node.storage.local import LocalBlockstore
from node.storage.unixfs import import_bytes

# three 256 KiB chunks and a tail: a root with four raw leaves
BLOB = os.urandom(3 * 256 * 1024 + 1234)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> LocalBlockstore:
    return LocalBlockstore(home / "blocks", fsync=False)


@pytest.fixture
def state() -> ServiceState:
    return ServiceState(script=["pinned"])


@pytest.fixture
def endpoint(state: ServiceState) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/psa"
    finally:
        server.shutdown()
        server.server_close()


def invoke(home: Path, *args: str, **env: str) -> Result:
    """Run ``datadao ARGS`` with only the given storage settings (never the developer's own
    pinning service or Kubo: None unsets a variable for the run)."""
    full: dict[str, str | None] = {
        "DATADAO_HOME": str(home),
        "DATADAO_CONFIG": str(home / "absent.toml"),
        "DATADAO_PINNING_ENDPOINT": None,
        "DATADAO_PINNING_TOKEN": None,
        "DATADAO_KUBO_API_URL": None,
        **env,
    }
    return CliRunner().invoke(cli, list(args), env=full)


STORAGE, CONFIG, INPUT = 6, 3, 4  # node/cli/exit_codes.py


def one_error_line(result: Result, code: int) -> str:
    """The failure is one line on stderr, with its family's exit code (not a traceback)."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------------- CAR, hostile


def test_car_of_an_unknown_cid_fails_and_leaves_no_file(home: Path, store: LocalBlockstore) -> None:
    missing = import_bytes(b"never stored").cid
    out = home / "x.car"
    line = one_error_line(invoke(home, "storage", "car", missing, "--out", str(out)), STORAGE)
    assert "block not found" in line
    assert not out.exists()
    assert list(home.glob(".x.car*")) == [], "no partial file either"


def test_car_of_a_corrupt_block_fails_and_leaves_no_file(
    home: Path, store: LocalBlockstore
) -> None:
    cid = store.add(BLOB)
    leaf = next(p for p in (home / "blocks" / "blocks").rglob("*") if p.is_file() and p.name != cid)
    leaf.write_bytes(b"\x00" * leaf.stat().st_size)
    out = home / "x.car"
    line = one_error_line(invoke(home, "storage", "car", cid, "--out", str(out)), STORAGE)
    assert "mismatch" in line.lower()
    assert not out.exists()


def test_car_of_a_malformed_cid_is_refused(home: Path) -> None:
    line = one_error_line(
        invoke(home, "storage", "car", "bafy-not-a-cid", "--out", "x.car"), STORAGE
    )
    assert "invalid CID" in line


def test_car_needs_exactly_one_source(home: Path) -> None:
    result = invoke(home, "storage", "car", "--out", str(home / "x.car"))
    assert result.exit_code == 2
    cid = import_bytes(b"x").cid
    result = invoke(home, "storage", "car", cid, "--submission", "1", "--out", "x.car")
    assert result.exit_code == 2


def test_car_of_an_unknown_submission_is_a_typed_error(home: Path) -> None:
    home.mkdir()
    line = one_error_line(
        invoke(home, "storage", "car", "--submission", "7", "--out", "x.car"), INPUT
    )
    assert "submission #7 is not in this node's database" in line


def test_car_does_not_overwrite_without_force(home: Path, store: LocalBlockstore) -> None:
    cid = store.add(b"small")
    out = home / "x.car"
    out.write_bytes(b"keep me")
    line = one_error_line(invoke(home, "storage", "car", cid, "--out", str(out)), INPUT)
    assert "--force" in line
    assert out.read_bytes() == b"keep me"
    assert invoke(home, "storage", "car", cid, "--out", str(out), "--force").exit_code == 0
    assert out.read_bytes() != b"keep me"


def test_car_into_a_missing_directory_is_one_line(home: Path, store: LocalBlockstore) -> None:
    cid = store.add(b"small")
    out = home / "no" / "such" / "dir" / "x.car"
    line = one_error_line(invoke(home, "storage", "car", cid, "--out", str(out)), INPUT)
    assert "cannot write" in line


# --------------------------------------------------------------------------------- CAR, round trip


def test_car_round_trip_into_a_fresh_blockstore(
    home: Path, store: LocalBlockstore, tmp_path: Path
) -> None:
    cid = store.add(BLOB)
    out = tmp_path / "export.car"
    result = invoke(home, "storage", "car", cid, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"root {cid}" in result.output

    fresh = LocalBlockstore(tmp_path / "elsewhere", fsync=False)
    with out.open("rb") as fh:
        roots = fresh.import_car(fh)
    assert roots == [cid]
    assert fresh.pins() == [cid]
    assert b"".join(fresh.cat(cid, max_bytes=len(BLOB))) == BLOB
    # the export holds the root and every leaf, each once: 1 + 4 blocks
    stored = [p for p in (tmp_path / "elsewhere" / "blocks").rglob("*") if p.is_file()]
    assert len(stored) == 5


def test_car_by_submission_number_reads_the_recorded_cid(
    home: Path, store: LocalBlockstore, tmp_path: Path
) -> None:
    from sqlmodel import Session

    from node.db import crud
    from node.db.engine import open_database
    from node.db.models import SubmissionCreate

    cid = store.add(BLOB)
    engine = open_database(f"sqlite:///{home / 'node.sqlite'}")
    try:
        with Session(engine, expire_on_commit=False) as session:
            row = crud.create_submission(
                session=session,
                submission_in=SubmissionCreate(
                    source_path="x.zip",
                    source_sha256="00" * 32,
                    platform="chatgpt",
                    contributor="0x" + "11" * 20,
                    chain_id=31337,
                    registry_address="0x" + "22" * 20,
                    dataset_id=1,
                    records=1,
                    content_commitment="0x" + "33" * 32,
                    file_id="0x" + "44" * 32,
                ),
            )
            pending = row.id
            assert pending is not None
            line = one_error_line(
                invoke(home, "storage", "car", "--submission", str(pending), "--out", "a.car"),
                INPUT,
            )
            assert "not stored yet" in line
            crud.update_fields(session=session, submission=row, cid=cid)
    finally:
        engine.dispose()
    for how in (["--submission", str(pending)], ["--file-id", "44" * 32]):
        out = tmp_path / f"{how[0].strip('-')}.car"
        result = invoke(home, "storage", "car", *how, "--out", str(out))
        assert result.exit_code == 0, result.output
        with out.open("rb") as fh:
            assert LocalBlockstore(tmp_path / how[0].strip("-"), fsync=False).import_car(fh) == [
                cid
            ]


# --------------------------------------------------------------------------------- pinning, hostile


def test_pin_without_a_configured_service_says_what_to_set(home: Path) -> None:
    line = one_error_line(invoke(home, "storage", "pin", import_bytes(b"x").cid), CONFIG)
    assert "DATADAO_PINNING_ENDPOINT" in line


def test_pin_with_an_endpoint_but_no_token_is_refused(home: Path, endpoint: str) -> None:
    cid = import_bytes(b"x").cid
    result = invoke(home, "storage", "pin", cid, DATADAO_PINNING_ENDPOINT=endpoint)
    assert "DATADAO_PINNING_TOKEN" in one_error_line(result, CONFIG)


def test_pin_with_a_bad_token_is_one_line_without_the_token(
    home: Path, endpoint: str, state: ServiceState
) -> None:
    cid = import_bytes(b"x").cid
    result = invoke(
        home,
        "storage",
        "pin",
        cid,
        DATADAO_PINNING_ENDPOINT=endpoint,
        DATADAO_PINNING_TOKEN="sk-wrong-secret",
    )
    line = one_error_line(result, STORAGE)
    assert "HTTP 401" in line
    assert "sk-wrong-secret" not in result.output
    assert state.bodies == [], "nothing was accepted"
    assert not (home / "storage" / "pins.json").exists()


def test_pin_to_an_unreachable_service_is_one_line(home: Path) -> None:
    cid = import_bytes(b"x").cid
    result = invoke(
        home,
        "storage",
        "pin",
        cid,
        DATADAO_PINNING_ENDPOINT=f"http://127.0.0.1:{closed_port()}/psa",
        DATADAO_PINNING_TOKEN=TOKEN,
    )
    line = one_error_line(result, STORAGE)
    assert "transport error" in line
    assert TOKEN not in result.output


def test_pin_of_a_malformed_cid_sends_nothing(
    home: Path, endpoint: str, state: ServiceState
) -> None:
    env = {"DATADAO_PINNING_ENDPOINT": endpoint, "DATADAO_PINNING_TOKEN": TOKEN}
    line = one_error_line(invoke(home, "storage", "pin", "Qm-nope", **env), STORAGE)
    assert "invalid CID" in line
    assert state.bodies == []


def test_a_failed_pin_is_one_line_and_recorded_as_failed(
    home: Path, endpoint: str, state: ServiceState
) -> None:
    state.script = ["failed"]
    cid = import_bytes(b"x").cid
    env = {"DATADAO_PINNING_ENDPOINT": endpoint, "DATADAO_PINNING_TOKEN": TOKEN}
    line = one_error_line(invoke(home, "storage", "pin", cid, **env), STORAGE)
    assert "failed to pin" in line
    record = json.loads((home / "storage" / "pins.json").read_text())
    assert [p["status"] for p in record["pins"]] == ["failed"]


def test_a_damaged_pin_record_is_reported_before_anything_is_sent(
    home: Path, endpoint: str, state: ServiceState
) -> None:
    (home / "storage").mkdir(parents=True)
    (home / "storage" / "pins.json").write_text('{"pins": [{"cid": 1}]}')
    env = {"DATADAO_PINNING_ENDPOINT": endpoint, "DATADAO_PINNING_TOKEN": TOKEN}
    line = one_error_line(invoke(home, "storage", "pin", import_bytes(b"x").cid, **env), STORAGE)
    assert "damaged" in line
    assert state.bodies == []
    assert "damaged" in one_error_line(invoke(home, "storage", "pins", **env), STORAGE)


# --------------------------------------------------------------------------------- pinning, happy


def test_pin_then_pins_lists_the_request_with_its_status(
    home: Path, endpoint: str, state: ServiceState
) -> None:
    state.script = ["queued", "pinned"]  # queued on POST, then pinned on the first GET
    cid = import_bytes(b"a contribution").cid
    env = {"DATADAO_PINNING_ENDPOINT": endpoint, "DATADAO_PINNING_TOKEN": TOKEN}
    result = invoke(home, "storage", "pin", cid, "--name", "submission-1", "--no-wait", **env)
    assert result.exit_code == 0, result.output
    assert "req-1" in result.output
    assert state.bodies == [{"cid": cid, "name": "submission-1"}]
    assert set(state.auth) == {f"Bearer {TOKEN}"}

    listed = invoke(home, "storage", "pins", "--json", **env)
    assert listed.exit_code == 0, listed.output
    (pin,) = json.loads(listed.output)
    assert (pin["request_id"], pin["cid"], pin["name"]) == ("req-1", cid, "submission-1")
    assert pin["status"] == "pinned", "refreshed from the service, not the recorded 'queued'"
    assert TOKEN not in (home / "storage" / "pins.json").read_text()


def test_pin_waits_until_pinned(home: Path, endpoint: str, state: ServiceState) -> None:
    state.script = ["queued", "pinned"]
    cid = import_bytes(b"wait for me").cid
    env = {"DATADAO_PINNING_ENDPOINT": endpoint, "DATADAO_PINNING_TOKEN": TOKEN}
    result = invoke(home, "storage", "pin", cid, **env)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(f"{cid}: pinned")
    record = json.loads((home / "storage" / "pins.json").read_text())
    assert [p["status"] for p in record["pins"]] == ["pinned"]


def test_pins_with_no_record_says_so(home: Path, endpoint: str) -> None:
    env = {"DATADAO_PINNING_ENDPOINT": endpoint, "DATADAO_PINNING_TOKEN": TOKEN}
    result = invoke(home, "storage", "pins", **env)
    assert result.exit_code == 0, result.output
    assert "no pin requests recorded" in result.output
