"""``datadao submissions`` with the chain down: the local database is still listed, whole.

What a script reads must be complete (issue #22: piped tables cut CIDs to ``bafkrei…``), and a
dead RPC must not hide what the node itself recorded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner, Result
from sqlmodel import Session

from node.chain.anvil import devnet_account
from node.chain.deployment import Deployment
from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from node.db import crud
from node.db.engine import open_database
from node.db.models import SubmissionCreate

CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"  # 59 characters
ME = devnet_account(5).address
SOMEONE_ELSE = devnet_account(6).address


def _file_id(n: int) -> str:
    return "0x" + f"{n:02x}" * 32


def _seed_database(registry: str, other_registry: str) -> None:
    """Three rows: two of this deployment (mine with a CID, someone else's), one of another."""
    home = Path(os.environ["DATADAO_HOME"])
    engine = open_database(f"sqlite:///{home / 'node.sqlite'}")
    try:
        with Session(engine, expire_on_commit=False) as session:
            for n, contributor, reg in (
                (1, ME, registry),
                (2, SOMEONE_ELSE, registry),
                (3, ME, other_registry),
            ):
                row = crud.create_submission(
                    session=session,
                    submission_in=SubmissionCreate(
                        source_path=f"export-{n}.zip",
                        source_sha256=f"{n:02x}" * 32,
                        platform="chatgpt",
                        contributor=contributor,
                        chain_id=31337,
                        registry_address=reg,
                        dataset_id=1,
                        records=10 * n,
                        pii_removed={"email": n},
                        content_commitment="0x" + f"{n + 16:02x}" * 32,
                        file_id=_file_id(n),
                    ),
                )
                if n == 1:
                    crud.update_fields(session=session, submission=row, cid=CID)
    finally:
        engine.dispose()


def _registry() -> str:
    return Deployment.load(Path(os.environ["DATADAO_DEPLOYMENT_FILE"])).address(
        "SubmissionRegistry"
    )


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["submissions", *args])


def test_offline_json_lists_the_database_with_chain_null(offline: str) -> None:
    _seed_database(_registry(), "0x" + "99" * 20)
    result = _run("--json")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stderr.strip().splitlines() == [
        f"warning: cannot reach the chain at {offline}: listing the local database only; "
        "on-chain status unavailable"
    ]
    doc = json.loads(result.stdout)
    assert doc["chain_available"] is False
    rows = doc["submissions"]
    assert [r["file_id"] for r in rows] == [_file_id(1), _file_id(2)], "this deployment only"
    first = rows[0]
    assert first["cid"] == CID
    assert first["chain"] is None
    assert first["contributor"] == ME
    assert first["records"] == 10
    assert first["pii_removed"] == {"email": 1}
    assert first["status"] == "parsed"
    assert first["epoch"] is None
    assert first["content_commitment"] == "0x" + "11" * 32
    assert rows[1]["cid"] is None


def test_offline_json_filters_by_the_signer_without_the_chain(offline: str) -> None:
    _seed_database(_registry(), "0x" + "99" * 20)
    result = _run("--json", "--account-index", "5")
    assert result.exit_code == ExitCode.OK, result.output
    rows = json.loads(result.stdout)["submissions"]
    assert [r["contributor"] for r in rows] == [ME]


def test_offline_table_in_a_pipe_shows_whole_identifiers(offline: str) -> None:
    _seed_database(_registry(), "0x" + "99" * 20)
    result = _run()
    assert result.exit_code == ExitCode.OK, result.output
    assert CID in result.stdout
    assert _file_id(1) in result.stdout
    assert "…" not in result.stdout
    assert "unavailable" in result.stdout
    assert "warning: cannot reach the chain" in result.stderr


def test_offline_with_nothing_recorded(offline: str) -> None:
    result = _run("--json")
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout) == {"chain_available": False, "submissions": []}


def test_offline_database_error_still_wins(offline: str, tmp_path: Path) -> None:
    """The database is opened first: a broken one is a database error, not a chain warning."""
    not_a_file = tmp_path / "dir"
    not_a_file.mkdir()
    result = CliRunner().invoke(
        cli, ["submissions", "--json"], env={"DATADAO_DATABASE_URL": f"sqlite:///{not_a_file}"}
    )
    assert result.exit_code == ExitCode.DATABASE, result.output
    assert result.stdout == ""
