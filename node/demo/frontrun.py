"""The demo's front-runner: mallory copies alice's *pending* submission and lands first.

Under protocol v1 this stole alice's reward: the header did not name the contributor and the
submitter chose the file id, so mallory's copy took alice's file id, alice's own transaction
reverted, and the claim paid mallory. Under v2 the sealed header names alice and the registry
derives ``fileId = keccak256(contributor, headerHash)``: mallory's copy gets a file id of its
own, alice's transaction still lands, and the validators value mallory's record at 0 because its
header names someone else (so mallory also loses the bond).

The demo does the attack for real on anvil: it turns automine off while alice's pipeline
broadcasts, reads alice's transaction from the mempool, re-signs the same submission with
mallory's key and a higher priority fee, mines one block (anvil orders a block by fee, so
mallory's transaction is first) and turns automine back on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3
from web3.types import TxParams, Wei

from node.chain.eip712 import SubmissionMessage, sign
from node.chain.registry import SubmissionRegistry
from node.pipeline.gateway import ChainGateway
from node.protocol.ids import submission_file_id

__all__ = ["FrontRun", "FrontRunningGateway"]


@dataclass(slots=True)
class FrontRun:
    """What happened in the block that held alice's submission."""

    victim_tx: str = ""
    attacker_tx: str = ""
    attacker_file_id: str = ""
    """Hex, no 0x: the file id the registry gave mallory's copy."""
    attacker_first: bool = False
    """Whether mallory's transaction came before alice's in that block."""
    victim_succeeded: bool = False
    attacker_succeeded: bool = False


def _submission_from_input(registry: SubmissionRegistry, data: HexStr) -> SubmissionMessage:
    """The ``Submission`` struct of a pending ``submit`` call, as the mempool shows it."""
    _fn, args = registry.contract.decode_function_input(data)
    raw: Any = args["s"]
    if isinstance(raw, dict):
        fields = dict(raw)
    else:
        fields = dict(zip(SubmissionMessage.__dataclass_fields__, raw, strict=True))
    return SubmissionMessage(**fields)


class FrontRunningGateway(ChainGateway):
    """The victim's gateway, with an attacker watching the mempool between send and mine."""

    def __init__(
        self,
        *args: Any,
        attacker: LocalAccount,
        rpc: Callable[[str, list[Any]], Any],
        outcome: FrontRun,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._attacker = attacker
        self._rpc = rpc
        self._outcome = outcome

    def broadcast(self, message: SubmissionMessage, signature: bytes, bond: int) -> HexStr:
        self._rpc("evm_setAutomine", [False])
        try:
            victim = super().broadcast(message, signature, bond)
            attacker = self._copy_pending(victim)
            self._rpc("evm_mine", [])
        finally:
            self._rpc("evm_setAutomine", [True])
        self._record(victim, attacker)
        return victim

    def _copy_pending(self, victim_tx: HexStr) -> HexStr:
        """Read the victim's pending transaction, put mallory's name on it and outbid it."""
        registry = self._registry
        w3: Web3 = registry.contract.w3
        pending = w3.eth.get_transaction(victim_tx)
        seen = _submission_from_input(registry, HexStr(Web3.to_hex(pending["input"])))
        copy = replace(seen, contributor=self._attacker.address)
        signature = sign(copy, self._attacker, chain_id=self.chain_id, registry=self.registry)
        tip = int(pending.get("maxPriorityFeePerGas", 0)) * 2 + Web3.to_wei(1, "gwei")
        fee = int(pending.get("maxFeePerGas", 0)) + tip
        params: TxParams = {
            "from": self._attacker.address,
            "value": Wei(int(pending["value"])),
            "nonce": w3.eth.get_transaction_count(self._attacker.address, "pending"),
            "maxPriorityFeePerGas": Wei(tip),
            "maxFeePerGas": Wei(fee),
            "gas": 400_000,
        }
        tx = registry.contract.functions.submit(copy.as_tuple(), signature).build_transaction(
            params
        )
        signed = self._attacker.sign_transaction(tx)  # type: ignore[arg-type]
        sent = w3.eth.send_raw_transaction(signed.raw_transaction)
        self._outcome.attacker_file_id = submission_file_id(
            self._attacker.address, bytes(seen.headerHash)
        ).hex()
        return HexStr(Web3.to_hex(sent))

    def _record(self, victim: HexStr, attacker: HexStr) -> None:
        w3: Web3 = self._registry.contract.w3
        v = w3.eth.get_transaction_receipt(victim)
        a = w3.eth.get_transaction_receipt(attacker)
        self._outcome.victim_tx = victim
        self._outcome.attacker_tx = attacker
        self._outcome.victim_succeeded = v["status"] == 1
        self._outcome.attacker_succeeded = a["status"] == 1
        self._outcome.attacker_first = a["blockNumber"] == v["blockNumber"] and (
            a["transactionIndex"] < v["transactionIndex"]
        )
