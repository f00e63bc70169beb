"""``datadao contribute`` on the devnet with the node's database on PostgreSQL (issue #22).

The same end-to-end checks as test_contribute.py and test_crash_injection.py, with
DATADAO_DATABASE_URL pointing the CLI at a fresh database of its own on the test server
(tests/pg.py): every row the chain's record is compared with was read back from PostgreSQL, and
a node killed after broadcasting resumes from PostgreSQL without a second transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from node.chain.anvil import devnet_account
from node.db.models import SubmissionStatus
from tests.integration.conftest import Devnet
from tests.integration.pipeline.conftest import CONTRIBUTOR_INDEX, NodeHome
from tests.integration.pipeline.test_contribute import (
    test_contribute_registers_what_the_database_records_and_rerun_sends_nothing as _contribute,
)
from tests.integration.pipeline.test_crash_injection import assert_exactly_once
from tests.pg import fresh_database

pytestmark = pytest.mark.integration


@dataclass
class PostgresNodeHome(NodeHome):
    """A node home whose database is on PostgreSQL (the CLI gets it via DATADAO_DATABASE_URL)."""

    url: str = ""

    @property
    def database_url(self) -> str:
        return self.url

    def assert_no_sqlite(self) -> None:
        assert not list(self.home.glob("*.sqlite*")), "the node fell back to SQLite"


@pytest.fixture
def pg_home(node_home: NodeHome) -> Iterator[PostgresNodeHome]:
    with fresh_database("datadao_devnet") as url:
        rendered = url.render_as_string(hide_password=False)
        env = {**node_home.env, "DATADAO_DATABASE_URL": rendered}
        yield PostgresNodeHome(home=node_home.home, env=env, url=rendered)


def test_contribute_on_postgres_registers_what_the_database_records(
    devnet: Devnet, snapshot: None, pg_home: PostgresNodeHome, export_zip: Path
) -> None:
    assert make_url(pg_home.database_url).get_backend_name() == "postgresql"
    _contribute(devnet, snapshot, pg_home, export_zip)
    pg_home.assert_no_sqlite()


def test_contribute_on_postgres_killed_after_broadcast_resumes_exactly_once(
    devnet: Devnet, snapshot: None, pg_home: PostgresNodeHome, export_zip: Path
) -> None:
    """The hardest crash point: the transaction is out, the row still says SIGNED. The rerun
    must find it from what PostgreSQL kept and send nothing new."""
    w3 = devnet.chain.w3
    contributor = devnet_account(CONTRIBUTOR_INDEX)
    nonce_before = w3.eth.get_transaction_count(contributor.address)
    args = ("contribute", str(export_zip), "--account-index", str(CONTRIBUTOR_INDEX))

    crashed = pg_home.cli(*args, extra_env={"DATADAO_CRASH_AFTER": "sent"})
    assert crashed.returncode == 137, crashed.stdout + crashed.stderr
    (row,) = pg_home.rows()
    assert row.status is SubmissionStatus.SIGNED
    assert row.tx_hash is not None

    resumed = pg_home.cli(*args)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_exactly_once(devnet, pg_home, export_zip)
    assert w3.eth.get_transaction_count(contributor.address) == nonce_before + 1
    pg_home.assert_no_sqlite()
