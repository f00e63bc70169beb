"""What the contribution pipeline needs from the chain, as one small interface.

:class:`SubmissionGateway` is the pipeline's whole view of the protocol: the deployment's
identity, the active key ritual, the epoch clock, the registry's records, the submission bond,
and sign/broadcast/wait for one submission. :class:`ChainGateway` implements it over
:class:`~node.chain.client.ChainClient` and the typed contract wrappers (integration tests run it
on anvil); unit tests implement it with an in-memory fake that applies the same rules as
``SubmissionRegistry.submit``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from eth_typing import ChecksumAddress, HexStr
from web3.exceptions import TransactionNotFound

from node.chain.client import ChainClient, PendingTx
from node.chain.contracts import Contracts
from node.chain.dkg import RitualState
from node.chain.eip712 import SubmissionMessage, sign
from node.chain.registry import SubmissionRecord, UnknownSubmission
from node.errors import ChainError, KeyCustodyError
from node.protocol.crypto import DaoPublicKey
from node.types import DatasetId, Epoch, RitualId

__all__ = [
    "ChainGateway",
    "EpochPosition",
    "Head",
    "NoActiveRitual",
    "SubmissionGateway",
    "TxState",
    "WrongBond",
    "poll_for_block",
]


class NoActiveRitual(KeyCustodyError):
    """No ACTIVE key ritual: there is no DAO key to seal to, and the registry would refuse."""

    def __init__(self, ritual_id: int, state: str) -> None:
        where = (
            "no key ritual has completed" if ritual_id == 0 else f"ritual {ritual_id} is {state}"
        )
        super().__init__(
            f"cannot contribute: {where}, so there is no DAO public key to seal to. "
            "Wait for the validators to finish a key ritual (on a devnet: `datadao devnet up`)."
        )
        self.ritual_id = ritual_id


class WrongBond(ChainError):
    """A submission was about to be sent with another bond than ``DatasetConfig`` asks for.

    Refused before anything is signed into a transaction: the registry would revert
    ``SubmissionRegistryWrongBond`` and the gas would be lost, or a bug would overpay.
    """

    def __init__(self, expected: int, got: int) -> None:
        super().__init__(
            f"the dataset's submission bond is {expected} wei but {got} wei was about to be "
            "sent; nothing was sent"
        )
        self.expected = expected
        self.got = got


@dataclass(frozen=True, slots=True)
class Head:
    number: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class EpochPosition:
    """The epoch at the head and the first block after its submit window."""

    epoch: Epoch
    close_block: int


class TxState(StrEnum):
    MINED = "mined"
    PENDING = "pending"
    UNKNOWN = "unknown"
    """Never seen, or dropped from the mempool."""


class SubmissionGateway(Protocol):
    """The chain as the contribution pipeline sees it (one deployment, one dataset, one signer)."""

    @property
    def chain_id(self) -> int: ...

    @property
    def registry(self) -> ChecksumAddress: ...

    @property
    def dataset_id(self) -> DatasetId: ...

    @property
    def contributor(self) -> ChecksumAddress: ...

    def active_ritual(self) -> tuple[RitualId, DaoPublicKey]:
        """The ACTIVE ritual and its DAO public key. Raises NoActiveRitual."""
        ...

    def head(self) -> Head: ...

    def epoch_position(self) -> EpochPosition: ...

    def wait_for_block(self, number: int) -> None:
        """Return once the head is at least ``number``."""
        ...

    def submission(self, file_id: bytes) -> SubmissionRecord | None: ...

    def content_submitted(self, commitment: bytes) -> bool:
        """Whether this contributor already registered this content in the dataset."""
        ...

    def submission_bond(self) -> int:
        """Wei the dataset asks every submission to send (``DatasetConfig.submissionBond``)."""
        ...

    def sign(self, message: SubmissionMessage) -> bytes: ...

    def broadcast(self, message: SubmissionMessage, signature: bytes, bond: int) -> HexStr:
        """Send ``submit`` paying ``bond``; a bond other than the dataset's raises WrongBond and
        typed reverts found by gas estimation raise, both before anything is sent."""
        ...

    def wait(self, tx_hash: HexStr) -> int:
        """Block number of the mined transaction; raises its typed revert if it failed."""
        ...

    def tx_state(self, tx_hash: HexStr) -> TxState: ...


def poll_for_block(chain: ChainClient, *, interval_s: float = 1.0) -> Callable[[int], None]:
    """A block waiter for real chains: poll the head until it reaches the target."""

    def wait(number: int) -> None:
        while chain.block_number() < number:
            time.sleep(interval_s)

    return wait


class ChainGateway:
    """:class:`SubmissionGateway` over the deployed contracts.

    Args:
        contracts: the Data DAO's contracts, through a client whose signer is the contributor
            (it signs the EIP-712 message and, here, also relays it; a relayer could send it
            instead).
        dataset_id: the dataset contributed to.
        wait_for_block: how to wait for a later block (default: poll). A devnet that mines only
            on transactions passes a waiter that mines the empty blocks instead.
    """

    def __init__(
        self,
        contracts: Contracts,
        *,
        dataset_id: DatasetId,
        wait_for_block: Callable[[int], object] | None = None,
    ) -> None:
        chain = contracts.registry.chain
        self._chain = chain
        self._registry = contracts.registry
        self._config = contracts.config
        self._dkg = contracts.dkg
        self._dataset_id = dataset_id
        self._waiter = wait_for_block or poll_for_block(chain)

    @property
    def chain_id(self) -> int:
        return self._chain.chain_id

    @property
    def registry(self) -> ChecksumAddress:
        return self._registry.address

    @property
    def dataset_id(self) -> DatasetId:
        return self._dataset_id

    @property
    def contributor(self) -> ChecksumAddress:
        return self._chain.address

    def active_ritual(self) -> tuple[RitualId, DaoPublicKey]:
        ritual_id = self._dkg.activeRitualId()
        if ritual_id == 0:
            raise NoActiveRitual(0, RitualState.NONE.name)
        state = self._dkg.getRitualState(ritual_id)
        if state != RitualState.ACTIVE:
            raise NoActiveRitual(ritual_id, state.name)
        return ritual_id, DaoPublicKey(self._dkg.getPublicKey(ritual_id))

    def head(self) -> Head:
        block = self._chain.w3.eth.get_block("latest")
        return Head(number=int(block["number"]), timestamp=int(block["timestamp"]))

    def epoch_position(self) -> EpochPosition:
        epoch = self._config.currentEpoch(self._dataset_id)
        windows = self._config.epochWindows(self._dataset_id, epoch)
        return EpochPosition(epoch=epoch, close_block=windows.close_block)

    def wait_for_block(self, number: int) -> None:
        self._waiter(number)

    def submission(self, file_id: bytes) -> SubmissionRecord | None:
        try:
            return self._registry.record(file_id)
        except UnknownSubmission:
            return None

    def content_submitted(self, commitment: bytes) -> bool:
        return self._registry.content_submitted(self._dataset_id, self.contributor, commitment)

    def submission_bond(self) -> int:
        return self._config.submissionBond(self._dataset_id)

    def sign(self, message: SubmissionMessage) -> bytes:
        return sign(message, self._chain.account, chain_id=self.chain_id, registry=self.registry)

    def broadcast(self, message: SubmissionMessage, signature: bytes, bond: int) -> HexStr:
        expected = self.submission_bond()
        if bond != expected:
            raise WrongBond(expected, bond)
        fn = self._registry.contract.functions.submit(message.as_tuple(), signature)
        pending = self._chain.send_nowait(fn, value=bond, description="SubmissionRegistry.submit")
        return pending.tx_hash

    def wait(self, tx_hash: HexStr) -> int:
        receipt = self._chain.wait(
            PendingTx(tx_hash=tx_hash, nonce=-1, raw=b"", description="SubmissionRegistry.submit")
        )
        return int(receipt["blockNumber"])

    def tx_state(self, tx_hash: HexStr) -> TxState:
        w3 = self._chain.w3
        try:
            w3.eth.get_transaction_receipt(tx_hash)
            return TxState.MINED
        except TransactionNotFound:
            pass
        try:
            w3.eth.get_transaction(tx_hash)
            return TxState.PENDING
        except TransactionNotFound:
            return TxState.UNKNOWN
