"""Opening the database fails as one typed line, never a driver traceback, never the password.

The PostgreSQL cases run against the real test server (tests/pg.py): a wrong password, a database
that does not exist, and a port nobody listens on.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import URL, event
from sqlalchemy.engine import make_url

from node.db.engine import (
    PG_CONNECT_TIMEOUT_S,
    alembic_config,
    make_engine,
    mask_url,
    open_database,
)
from node.db.errors import DatabaseUnavailable
from node.errors import ConfigError, DatabaseError
from tests.pg import server_url


def _closed_port() -> int:
    """A port nothing listens on: bound by us, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wrong_password(url: URL) -> tuple[URL, str]:
    password = "wrong-" + secrets.token_hex(8)
    return url.set(password=password), password


def _assert_one_safe_line(err: BaseException, *secrets_: str) -> str:
    message = str(err)
    assert "\n" not in message
    for secret in secrets_:
        assert secret not in message
    return message


def test_wrong_password_is_one_typed_line_without_the_password() -> None:
    real = server_url()
    url, password = _wrong_password(real)
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database(url.render_as_string(hide_password=False))
    message = _assert_one_safe_line(caught.value, password, str(real.password))
    assert isinstance(caught.value, DatabaseError)
    assert 'password authentication failed for user "datadao"' in message
    assert "user name and password" in caught.value.hint
    assert caught.value.url == url.render_as_string(hide_password=True)
    assert "***" in message
    assert "connection to server" not in message  # libpq's preamble is dropped
    assert "FATAL" not in message


def test_missing_database_names_it() -> None:
    real = server_url()
    url = real.set(database="no_such_db_" + secrets.token_hex(4))
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database(url.render_as_string(hide_password=False))
    message = _assert_one_safe_line(caught.value, str(real.password))
    assert f'database "{url.database}" does not exist' in message
    assert "create that database" in caught.value.hint


def test_closed_port_says_check_the_server_and_port() -> None:
    url = (
        f"postgresql+psycopg://datadao:hunter2-{secrets.token_hex(4)}@127.0.0.1:{_closed_port()}/x"
    )
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database(url)
    message = _assert_one_safe_line(caught.value, make_url(url).password or "?")
    assert "Connection refused" in message
    assert "server is running" in caught.value.hint


def test_unopenable_sqlite_file_is_typed(tmp_path: Path) -> None:
    (tmp_path / "node.sqlite").mkdir()  # a directory where the file should be
    with pytest.raises(DatabaseUnavailable, match="unable to open database file") as caught:
        open_database(f"sqlite:///{tmp_path / 'node.sqlite'}")
    assert "writable" in caught.value.hint


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://datadao:s3cret@127.0.0.1:5432:99/x",  # two ports
        "postgresql+psycopg://datadao:s3cret@127.0.0.1:notaport/x",
        "not a url s3cret",
    ],
)
def test_malformed_url_is_a_config_error_without_the_password(url: str) -> None:
    with pytest.raises(ConfigError, match="invalid database URL") as caught:
        make_engine(url)
    if "://" in url:
        _assert_one_safe_line(caught.value, "s3cret")


def test_unknown_backend_and_missing_driver_are_config_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError, match="unsupported database URL") as caught:
        make_engine("nosuchdb://u:s3cret@h/d")
    _assert_one_safe_line(caught.value, "s3cret")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # importing it now raises ImportError
    with pytest.raises(ConfigError, match=r"needs the driver 'psycopg'.*datadao\[postgres\]") as c2:
        make_engine("postgresql+psycopg://u:s3cret@h/d")
    _assert_one_safe_line(c2.value, "s3cret")


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://u:pw@h:5432/d", "postgresql+psycopg://u:***@h:5432/d"),
        ("postgresql://u:p@ss/word@h/d", "postgresql://u:***@h/d"),  # a raw @ and / in it
        ("postgresql://u@h/d", "postgresql://u@h/d"),
        ("sqlite:////home/a@b/node.sqlite", "sqlite:////home/a@b/node.sqlite"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_percent_encoded_password_reaches_alembic_intact() -> None:
    """Alembic's ConfigParser treats % as interpolation; p%40ss%25 must not break migrations."""
    url = "postgresql+psycopg://u:p%40ss%25@127.0.0.1:5432/d"
    engine = make_engine(url)
    try:
        assert alembic_config(engine).get_main_option("sqlalchemy.url") == url
    finally:
        engine.dispose()


class _Stop(Exception):
    """Raised from do_connect so that nothing dials out."""


def _connect_params(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    seen: dict[str, Any] = {}

    def capture(_d: object, _r: object, _a: object, params: dict[str, Any]) -> None:
        seen.update(params)
        raise _Stop

    event.listen(engine, "do_connect", capture)
    try:
        with pytest.raises(_Stop), engine.connect():
            pass
    finally:
        engine.dispose()
    return seen


def test_pg_connect_timeout_is_bounded_unless_the_url_says() -> None:
    """A host that drops packets must not hang a node forever (libpq's default)."""
    assert (
        _connect_params("postgresql+psycopg://u:p@h/d")["connect_timeout"] == PG_CONNECT_TIMEOUT_S
    )
    given = _connect_params("postgresql+psycopg://u:p@h/d?connect_timeout=3")
    assert str(given["connect_timeout"]) == "3"


def test_cli_prints_one_line_and_exits_with_the_database_code(tmp_path: Path) -> None:
    """The #17 report: a wrong PostgreSQL password printed 154 lines of traceback."""
    url, password = _wrong_password(server_url())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DATADAO_")},
        "DATADAO_HOME": str(tmp_path / "home"),
        "DATADAO_CONFIG": str(tmp_path / "none.toml"),
        "DATADAO_DATABASE_URL": url.render_as_string(hide_password=False),
    }
    out = tmp_path / "o.car"
    cmd = "from node.cli.main import main; main()"
    args = ["storage", "car", "--submission", "1", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", cmd, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 9, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("Error: cannot connect to the database postgresql+psycopg://")
    assert "password authentication failed" in done.stderr
    assert password not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
