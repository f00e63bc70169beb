"""Typed errors of the devnet's lifecycle: its background processes and moving its epochs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from node.errors import ChainError, DataDaoError, InputError, KeyCustodyError

__all__ = [
    "DevnetDown",
    "NoEpochToScore",
    "ProcessExited",
    "ProcessNotReady",
    "ScoringStalled",
    "ValidatorsDown",
]


class DevnetDown(ChainError):
    """The devnet's RPC does not answer (anvil is stopped)."""

    def __init__(self, rpc_url: str) -> None:
        super().__init__(f"devnet is DOWN: {rpc_url} does not answer; start it: datadao devnet up")
        self.rpc_url = rpc_url


class ProcessExited(DataDaoError):
    """A background process the devnet started is no longer running; its log says why."""

    def __init__(self, name: str, log: Path) -> None:
        super().__init__(f"{name} is not running; see its log: {log}")
        self.name, self.log = name, log


class ProcessNotReady(DataDaoError):
    """A background process did not answer its health URL in time."""

    def __init__(self, name: str, url: str, timeout_s: float, log: Path) -> None:
        super().__init__(f"{name} did not answer {url} within {timeout_s:.0f}s; see its log: {log}")
        self.name, self.url, self.log = name, url, log


class NoEpochToScore(InputError):
    """``advance`` found no unfinalized epoch with submissions to move along."""


class ValidatorsDown(KeyCustodyError):
    """Validator processes ``devnet up`` started are not running: their decryption shares are
    unavailable and nobody scores the epoch."""

    def __init__(self, down: int, total: int, first: str, log: Path) -> None:
        super().__init__(
            f"validators DOWN: {down} of {total} validator processes are not running (first: "
            f"{first}, log {log}); restart them: datadao devnet up"
        )
        self.down, self.total = down, total


class ScoringStalled(ChainError):
    """Committee validators did not commit or reveal in time."""

    def __init__(self, step: str, missing: Sequence[str], logs: Mapping[str, Path]) -> None:
        names = "; ".join(
            f"{v} (log: {logs[v.lower()]})" if v.lower() in logs else v for v in missing
        )
        super().__init__(
            f"validators did not {step} in time: {names} "
            "(is each one's daemon running? datadao devnet status)"
        )
        self.step, self.missing = step, list(missing)
