"""Chain errors. Contract reverts become :class:`ContractRevert` subclasses generated from the ABIs
(``node/chain/_revert_table.py``, written by ``scripts/sync_abis.py``)."""

from __future__ import annotations

from typing import Any, ClassVar

from node.errors import ChainError

__all__ = [
    "ChainUnavailable",
    "ContractRevert",
    "DeploymentNotFound",
    "PanicRevert",
    "ReasonRevert",
    "SignerRequired",
    "TransactionFailed",
    "TransactionTimeout",
    "UnknownRevert",
]


class ChainUnavailable(ChainError):
    """The RPC endpoint did not answer after the bounded retries."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"RPC endpoint {url} is unreachable: {cause}")
        self.url = url


class SignerRequired(ChainError):
    """A transaction was requested from a client that has no signing key."""

    def __init__(self) -> None:
        super().__init__("this command sends transactions: configure a keystore or devnet account")


class TransactionTimeout(ChainError):
    """A broadcast transaction was not mined in time. It may still be pending: check the hash."""

    def __init__(self, tx_hash: str, timeout_s: float) -> None:
        super().__init__(
            f"transaction {tx_hash} was not mined within {timeout_s:.0f}s; it may still be pending"
        )
        self.tx_hash = tx_hash


class TransactionFailed(ChainError):
    """A mined transaction reverted and no reason could be decoded."""

    def __init__(self, tx_hash: str) -> None:
        super().__init__(
            f"transaction {tx_hash} reverted on inclusion (the chain state changed after gas "
            "estimation, e.g. a window closed); it used no nonce twice and can be retried"
        )
        self.tx_hash = tx_hash


class DeploymentNotFound(ChainError):
    """No deployment file: the devnet is not up, or DATADAO_DEPLOYMENT_FILE points nowhere."""

    def __init__(self, path: str) -> None:
        super().__init__(f"no deployment file at {path}; run `datadao devnet up` first")
        self.path = path


class ContractRevert(ChainError):
    """A contract call reverted with a custom error. Subclasses are generated from the ABIs.

    Attributes:
        error_name: the Solidity error name, e.g. ``SubmissionRegistryNonceUsed``.
        fields: decoded error arguments by name.
    """

    error_name: ClassVar[str] = "ContractRevert"
    selector: ClassVar[str] = ""
    arg_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, fields: dict[str, Any] | None = None) -> None:
        self.fields: dict[str, Any] = dict(fields or {})
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.fields.items())
        super().__init__(f"{self.error_name}({shown})")


class ReasonRevert(ContractRevert):
    """``revert("reason")`` / ``require(cond, "reason")``: Solidity's ``Error(string)``."""

    error_name = "Error"
    selector = "0x08c379a0"
    arg_names = ("reason",)


class PanicRevert(ContractRevert):
    """``Panic(uint256)``: assert failure, overflow, division by zero, …"""

    error_name = "Panic"
    selector = "0x4e487b71"
    arg_names = ("code",)


class UnknownRevert(ContractRevert):
    """A revert whose selector is in none of our ABIs (or a revert without data)."""

    error_name = "UnknownRevert"
    arg_names = ("data",)


def _show(v: Any) -> str:
    if isinstance(v, bytes | bytearray):
        return "0x" + bytes(v).hex()
    return str(v)
