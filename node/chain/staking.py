"""Typed wrapper of ValidatorStaking: stake, unbonding, registration of Ferveo keys and
share-service URLs."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper

__all__ = ["ValidatorInfo", "ValidatorStaking"]


@dataclass(frozen=True, slots=True)
class ValidatorInfo:
    registered: bool
    ferveo_public_key: bytes
    share_service_url: str
    stake: int
    unbonding: int
    unbonding_release_block: int


class ValidatorStaking(ContractWrapper):
    NAME = "ValidatorStaking"

    def stake(self, amount: int) -> TxReceipt:
        return self._send("stake", value=amount)

    def register(self, ferveo_public_key: bytes, share_service_url: str) -> TxReceipt:
        return self._send("register", ferveo_public_key, share_service_url)

    def requestUnstake(self, amount: int) -> TxReceipt:  # noqa: N802
        return self._send("requestUnstake", amount)

    def withdraw(self) -> TxReceipt:
        return self._send("withdraw")

    def stakeOf(self, validator: str) -> int:  # noqa: N802
        return int(self._call("stakeOf", Web3.to_checksum_address(validator)))

    def stakeAt(self, validator: str, block_number: int) -> int:  # noqa: N802
        return int(self._call("stakeAt", Web3.to_checksum_address(validator), block_number))

    def totalStaked(self) -> int:  # noqa: N802
        return int(self._call("totalStaked"))

    def validators(self) -> list[ChecksumAddress]:
        return [Web3.to_checksum_address(a) for a in self._call("validators")]

    def validatorInfo(self, validator: str) -> ValidatorInfo:  # noqa: N802
        return ValidatorInfo(*self._call("validatorInfo", Web3.to_checksum_address(validator)))

    def minStake(self) -> int:  # noqa: N802
        return int(self._call("minStake"))

    def unbondingBlocks(self) -> int:  # noqa: N802
        return int(self._call("unbondingBlocks"))
