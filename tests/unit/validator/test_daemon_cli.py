"""The validator group gains stake/unstake/withdraw/status/run without losing serve-shares."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from validator.cli import validator


def test_group_lists_every_command() -> None:
    out = CliRunner().invoke(validator, ["--help"])
    assert out.exit_code == 0
    for name in ("serve-shares", "ritual", "stake", "unstake", "withdraw", "status", "run"):
        assert name in out.output


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("run", "--spec"),
        ("run", "--metrics-port"),
        ("stake", "AMOUNT_WEI"),
        ("unstake", "AMOUNT_WEI"),
        ("withdraw", "--account-index"),
        ("status", "--journal"),
        ("serve-shares", "--port"),
    ],
)
def test_help(command: str, option: str) -> None:
    out = CliRunner().invoke(validator, [command, "--help"])
    assert out.exit_code == 0
    assert option in out.output


def test_stake_refuses_zero() -> None:
    out = CliRunner().invoke(validator, ["stake", "--account-index", "1", "0"])
    assert out.exit_code == 2
