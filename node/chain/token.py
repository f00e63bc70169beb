"""Typed wrapper of DatasetToken: balances, votes and delegation."""

from __future__ import annotations

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper

__all__ = ["DatasetToken"]


class DatasetToken(ContractWrapper):
    NAME = "DatasetToken"

    def balanceOf(self, who: str) -> int:  # noqa: N802
        return int(self._call("balanceOf", Web3.to_checksum_address(who)))

    def totalSupply(self) -> int:  # noqa: N802
        return int(self._call("totalSupply"))

    def getVotes(self, who: str) -> int:  # noqa: N802
        return int(self._call("getVotes", Web3.to_checksum_address(who)))

    def getPastVotes(self, who: str, block: int) -> int:  # noqa: N802
        return int(self._call("getPastVotes", Web3.to_checksum_address(who), block))

    def delegates(self, who: str) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call("delegates", Web3.to_checksum_address(who)))

    def delegate(self, delegatee: str) -> TxReceipt:
        return self._send("delegate", Web3.to_checksum_address(delegatee))

    def transfer(self, to: str, amount: int) -> TxReceipt:
        return self._send("transfer", Web3.to_checksum_address(to), amount)

    def symbol(self) -> str:
        return str(self._call("symbol"))
