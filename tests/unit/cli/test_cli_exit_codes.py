"""Every failure of ``datadao`` exits with its family's code and one line on stderr.

The hostile cases first: a missing file, a garbage zip, the RPC down, no key, an unreachable
database, an escaped library error, a bug. Then the table itself: every class it names exists.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import requests
import sqlalchemy.exc
from click.testing import CliRunner, Result
from pydantic import ValidationError

from node import errors
from node.chain.errors import ChainUnavailable, DeploymentNotFound, SignerRequired
from node.cli import main as main_module
from node.cli.exit_codes import ERROR_CODES, ExitCode, classify
from node.cli.main import cli
from node.parsers.synthetic import chatgpt_export
from node.settings import NodeSettings


def _invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def _one_error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


# ------------------------------------------------------------------------------ the commands


def test_missing_export_is_input_before_any_chain_call(offline: str, tmp_path: Path) -> None:
    result = _invoke("contribute", str(tmp_path / "absent.zip"), "--account-index", "5")
    assert result.exit_code == ExitCode.INPUT
    line = _one_error_line(result)
    assert "absent.zip" in line
    assert "no such file" in line


def test_garbage_zip_is_input(offline: str, tmp_path: Path) -> None:
    garbage = tmp_path / "export.zip"
    garbage.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    result = _invoke("inspect", str(garbage))
    assert result.exit_code == ExitCode.INPUT, result.output
    _one_error_line(result)


def test_rpc_down_is_chain_with_the_url_and_what_to_do(offline: str) -> None:
    result = _invoke("rewards")
    assert result.exit_code == ExitCode.CHAIN, result.output
    line = _one_error_line(result)
    assert f"cannot reach the chain at {offline}" in line
    assert "datadao devnet up" in line
    assert "MaxRetryError" not in line


def test_rpc_down_for_governance_is_chain(offline: str) -> None:
    result = _invoke("gov", "proposals")
    assert result.exit_code == ExitCode.CHAIN, result.output
    _one_error_line(result)


def test_no_key_is_config(offline: str, tmp_path: Path) -> None:
    export = tmp_path / "c.zip"
    chatgpt_export(export, seed=1, conversations=2)
    result = _invoke("contribute", str(export))
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "DATADAO_KEYSTORE" in _one_error_line(result)


def test_unreadable_keystore_is_not_a_traceback(
    offline: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keystore = tmp_path / "key.json"
    keystore.write_text("{not json")
    monkeypatch.setenv("DATADAO_KEYSTORE", str(keystore))
    monkeypatch.setenv("DATADAO_KEYSTORE_PASSWORD", "x")
    result = _invoke("gov", "delegate")
    assert result.exit_code not in (ExitCode.OK, ExitCode.INTERNAL), result.output
    assert "keystore" in _one_error_line(result)


def test_bad_address_is_input_before_any_key_or_rpc(offline: str) -> None:
    result = _invoke("gov", "delegate", "--to", "not-an-address")
    assert result.exit_code == ExitCode.INPUT, result.output
    assert "not-an-address" in _one_error_line(result)


def test_no_deployment_is_config(
    offline: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATADAO_DEPLOYMENT_FILE", str(tmp_path / "nowhere.json"))
    result = _invoke("rewards")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "datadao devnet up" in _one_error_line(result)


def test_database_unreachable_is_database(
    offline: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_directory = tmp_path / "not-a-db-file"
    a_directory.mkdir()
    monkeypatch.setenv("DATADAO_DATABASE_URL", f"sqlite:///{a_directory}")
    result = _invoke("submissions")
    assert result.exit_code == ExitCode.DATABASE, result.output
    line = _one_error_line(result)
    assert str(a_directory) in line
    assert "DATADAO_DATABASE_URL" in line


def test_invalid_setting_is_config(offline: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATADAO_RPC_TIMEOUT_S", "soon")
    result = _invoke("submissions")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "rpc_timeout_s" in _one_error_line(result)


def _raising(err: BaseException) -> click.Command:
    @click.command("boom")
    def boom() -> None:
        raise err

    return boom


def _with(monkeypatch: pytest.MonkeyPatch, err: BaseException) -> None:
    """Adds a ``boom`` command that raises ``err``."""

    @click.command("boom")
    def boom() -> None:
        raise err

    _add(monkeypatch, boom)


def _add(monkeypatch: pytest.MonkeyPatch, command: click.Command) -> None:
    original = main_module.RootGroup.get_command

    def get_command(
        self: main_module.RootGroup, ctx: click.Context, name: str
    ) -> click.Command | None:
        return command if name == command.name else original(self, ctx, name)

    monkeypatch.setattr(main_module.RootGroup, "get_command", get_command)


def test_a_bug_is_internal_with_one_line_and_a_traceback_only_with_v(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _with(monkeypatch, ZeroDivisionError("division by zero"))
    quiet = _invoke("boom")
    assert quiet.exit_code == ExitCode.INTERNAL
    line = _one_error_line(quiet)
    assert "internal error: ZeroDivisionError" in line
    assert "-v" in line
    loud = _invoke("-v", "boom")
    assert loud.exit_code == ExitCode.INTERNAL
    assert "Traceback" in loud.stderr
    assert "ZeroDivisionError" in loud.stderr


def test_ctrl_c_is_130(monkeypatch: pytest.MonkeyPatch) -> None:
    _with(monkeypatch, KeyboardInterrupt())
    result = _invoke("boom")
    assert result.exit_code == int(ExitCode.INTERRUPTED) == 130
    assert "interrupted" in _one_error_line(result)


def test_a_prompt_without_input_is_config(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command("boom")
    def asks() -> None:
        click.prompt("passphrase", hide_input=True)

    _add(monkeypatch, asks)
    result = _invoke("boom", input="")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "no input" in result.stderr


def test_click_usage_errors_keep_code_2() -> None:
    assert _invoke("submissions", "--no-such-option").exit_code == int(ExitCode.USAGE) == 2
    assert _invoke("no-such-command").exit_code == 2


def test_verbose_sets_the_log_level(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "level", logging.WARNING)
    monkeypatch.setattr(root, "handlers", [])  # the handler -v adds goes with the test
    assert _invoke().exit_code == 0
    assert root.level == logging.WARNING, "without -v logging is left alone"
    assert _invoke("-vv").exit_code == 0
    assert root.level == logging.DEBUG
    assert _invoke("-v").exit_code == 0
    assert root.level == logging.INFO


def test_subprocess_rpc_down_exits_chain_with_one_stderr_line(offline: str) -> None:
    """The real process, with the client's real back-off: what a script sees."""
    done = subprocess.run(
        [sys.executable, "-m", "node.cli", "gov", "proposals"],
        env=dict(os.environ),  # the fixture's DATADAO_* (its sleep patch stays in this process)
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitCode.CHAIN, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"Error: cannot reach the chain at {offline}: is the node running? "
        "(on the devnet: `datadao devnet up`)"
    ]
    assert done.stdout == ""


# ------------------------------------------------------------------------------ the table


def test_every_class_the_table_names_exists_and_is_a_datadao_error() -> None:
    for dotted in ERROR_CODES:
        module_name, _, name = dotted.rpartition(".")
        cls = getattr(importlib.import_module(module_name), name)
        assert issubclass(cls, errors.DataDaoError), dotted


def test_every_family_has_its_documented_code() -> None:
    expected = {
        "ConfigError": ExitCode.CONFIG,
        "InputError": ExitCode.INPUT,
        "ParseError": ExitCode.INPUT,
        "ChainError": ExitCode.CHAIN,
        "StorageError": ExitCode.STORAGE,
        "EnvelopeError": ExitCode.CUSTODY,
        "KeyCustodyError": ExitCode.CUSTODY,
        "ValuationError": ExitCode.VALUATION,
        "DatabaseError": ExitCode.DATABASE,
        "ConflictError": ExitCode.CONFLICT,
    }
    # a family is a direct subclass of DataDaoError; a subclass (UnsupportedDdfVersion, an
    # EnvelopeError) takes its family's code
    families = {
        name for name in errors.__all__ if getattr(errors, name).__bases__ == (errors.DataDaoError,)
    }
    assert families == set(expected), "a new family needs its code in node/cli/exit_codes.py"
    for name, code in expected.items():
        cls = getattr(errors, name)
        assert classify(cls.__new__(cls)).code == code, name


@pytest.mark.parametrize(
    ("err", "code"),
    [
        (SignerRequired(), ExitCode.CONFIG),
        (DeploymentNotFound("/x"), ExitCode.CONFIG),
        (ChainUnavailable("http://h:1", "ConnectionError(...)"), ExitCode.CHAIN),
        (errors.ChainError("reverted"), ExitCode.CHAIN),
        (errors.StorageError("gone"), ExitCode.STORAGE),
        (errors.ValuationError("no"), ExitCode.VALUATION),
        (errors.DataDaoError("a demo check"), ExitCode.INTERNAL),
        (FileNotFoundError(2, "No such file or directory", "/x/y"), ExitCode.INPUT),
        (requests.exceptions.ConnectionError("refused"), ExitCode.CHAIN),
        (sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("locked")), ExitCode.DATABASE),
        (RuntimeError("bug"), ExitCode.INTERNAL),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_classify(err: BaseException, code: ExitCode) -> None:
    failure = classify(err)
    assert failure.code == code
    assert "\n" not in failure.message
    assert failure.message


def test_specific_entries_override_their_family() -> None:
    from node.chain._revert_table import SubmissionRegistryDuplicateContent
    from node.pipeline.contribution import ContentAlreadyContributed

    assert classify(ContentAlreadyContributed("0x1", "0x2", "0x3")).code == ExitCode.CONFLICT
    assert classify(SubmissionRegistryDuplicateContent({})).code == ExitCode.CONFLICT
    assert isinstance(SubmissionRegistryDuplicateContent({}), errors.ChainError)


def test_pydantic_settings_error_is_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATADAO_RPC_TIMEOUT_S", "-1")
    with pytest.raises(ValidationError) as caught:
        NodeSettings()
    failure = classify(caught.value)
    assert failure.code == ExitCode.CONFIG
    assert "rpc_timeout_s" in failure.message


def test_a_password_with_an_at_sign_is_masked_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database password may itself contain '@' (unencoded): none of it reaches the error."""
    secret = "p@ss@word"
    url = f"postgresql+psycopg://datadao:{secret}@127.0.0.1:1/none"
    monkeypatch.setenv("DATADAO_DATABASE_URL", url)
    monkeypatch.setenv("DATADAO_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["submissions"])
    assert result.exit_code != 0
    assert "ss@word" not in result.output
    assert "word@127" not in result.output
