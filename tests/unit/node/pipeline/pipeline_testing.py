"""An in-memory SubmissionGateway that applies SubmissionRegistry.submit's rules.

A fake, not a mock: it mines blocks, keeps records, nonces and the commitment index, verifies
the EIP-712 signature with the real code, and raises the same typed reverts (from the generated
table) in the same order as ``contracts/src/SubmissionRegistry.sol``. Like anvil with automine,
a broadcast transaction is checked at estimation time and again when it is mined, so the
epoch-boundary hazard (estimation passes, inclusion lands in the next epoch) can be staged with
``inclusion_delay``. The integration tests run the real ChainGateway against anvil.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3

from node.chain._revert_table import (
    SubmissionRegistryDuplicateContent,
    SubmissionRegistryDuplicateFileId,
    SubmissionRegistryEmptyCid,
    SubmissionRegistryExpired,
    SubmissionRegistryInvalidSignature,
    SubmissionRegistryNonceUsed,
    SubmissionRegistryRitualNotActive,
    SubmissionRegistryWrongEpoch,
)
from node.chain.eip712 import SubmissionMessage, recover_signer, sign
from node.chain.errors import ContractRevert
from node.chain.registry import SubmissionRecord
from node.pipeline.gateway import EpochPosition, Head, NoActiveRitual, TxState
from node.protocol.crypto import DaoPublicKey
from node.protocol.dkg_local import LocalRitual
from node.types import Cid, ContentCommitment, DatasetId, Epoch, FileId, HeaderHash, RitualId

REGISTRY = Web3.to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")


@dataclass
class FakeChain:
    account: LocalAccount
    ritual: LocalRitual | None
    ritual_id: int = 1
    genesis: int = 0
    submit_blocks: int = 20
    block: int = 5
    timestamp: int = 1_700_000_000
    inclusion_delay: int = 0
    """Blocks mined by others between gas estimation and inclusion of the next transaction."""
    records: dict[bytes, SubmissionRecord] = field(default_factory=dict)
    by_commitment: dict[bytes, bytes] = field(default_factory=dict)
    used_nonces: set[tuple[str, int]] = field(default_factory=set)
    pending: dict[str, tuple[SubmissionMessage, bytes]] = field(default_factory=dict)
    mined: dict[str, int] = field(default_factory=dict)
    reverted: dict[str, ContractRevert] = field(default_factory=dict)
    broadcasts: int = 0
    waits_for_block: list[int] = field(default_factory=list)

    # -- identity
    @property
    def chain_id(self) -> int:
        return 31337

    @property
    def registry(self) -> ChecksumAddress:
        return REGISTRY

    @property
    def dataset_id(self) -> DatasetId:
        return DatasetId(1)

    @property
    def contributor(self) -> ChecksumAddress:
        return self.account.address

    # -- clock
    def _mine(self, n: int = 1) -> None:
        self.block += n
        self.timestamp += 12 * n

    def epoch_at(self, block: int) -> int:
        return (block - self.genesis) // self.submit_blocks

    def head(self) -> Head:
        return Head(self.block, self.timestamp)

    def epoch_position(self) -> EpochPosition:
        epoch = self.epoch_at(self.block)
        return EpochPosition(Epoch(epoch), self.genesis + (epoch + 1) * self.submit_blocks)

    def wait_for_block(self, number: int) -> None:
        self.waits_for_block.append(number)
        if number > self.block:
            self._mine(number - self.block)

    def move_to(self, block: int) -> None:
        assert block >= self.block
        if block > self.block:
            self._mine(block - self.block)

    # -- reads
    def active_ritual(self) -> tuple[RitualId, DaoPublicKey]:
        if self.ritual is None:
            raise NoActiveRitual(0, "NONE")
        return RitualId(self.ritual_id), self.ritual.public_key

    def submission(self, file_id: bytes) -> SubmissionRecord | None:
        return self.records.get(file_id)

    def file_id_by_commitment(self, commitment: bytes) -> bytes | None:
        return self.by_commitment.get(commitment)

    def nonce_used(self, nonce: int) -> bool:
        return (self.contributor, nonce) in self.used_nonces

    # -- writes
    def sign(self, message: SubmissionMessage) -> bytes:
        return sign(message, self.account, chain_id=self.chain_id, registry=REGISTRY)

    def _check(self, m: SubmissionMessage, signature: bytes, block: int, timestamp: int) -> None:
        """SubmissionRegistry.submit's checks, in the contract's order."""
        if timestamp > m.deadline:
            raise SubmissionRegistryExpired({"deadline": m.deadline, "timestamp": timestamp})
        if not m.cid:
            raise SubmissionRegistryEmptyCid({})
        current = self.epoch_at(block)
        if m.epoch != current:
            raise SubmissionRegistryWrongEpoch({"epoch": m.epoch, "currentEpoch": current})
        active = self.ritual_id if self.ritual is not None else 0
        if m.ritualId != active or active == 0:
            raise SubmissionRegistryRitualNotActive(
                {"ritualId": m.ritualId, "activeRitualId": active}
            )
        signer = recover_signer(m, signature, chain_id=self.chain_id, registry=REGISTRY)
        if signer != m.contributor:
            raise SubmissionRegistryInvalidSignature({"contributor": m.contributor})
        if (m.contributor, m.nonce) in self.used_nonces:
            raise SubmissionRegistryNonceUsed({"contributor": m.contributor, "nonce": m.nonce})
        if m.fileId in self.records:
            raise SubmissionRegistryDuplicateFileId({"fileId": m.fileId})
        existing = self.by_commitment.get(m.contentCommitment)
        if existing is not None:
            raise SubmissionRegistryDuplicateContent(
                {
                    "datasetId": m.datasetId,
                    "contentCommitment": m.contentCommitment,
                    "existingFileId": existing,
                }
            )

    def _apply(self, m: SubmissionMessage, block: int) -> None:
        self.used_nonces.add((m.contributor, m.nonce))
        self.by_commitment[m.contentCommitment] = m.fileId
        self.records[m.fileId] = SubmissionRecord(
            file_id=FileId(m.fileId),
            contributor=m.contributor,
            dataset_id=DatasetId(m.datasetId),
            epoch=Epoch(m.epoch),
            ritual_id=RitualId(m.ritualId),
            registered_at=block,
            header_hash=HeaderHash(m.headerHash),
            content_commitment=ContentCommitment(m.contentCommitment),
            cid=Cid(m.cid),
        )

    def register_directly(self, m: SubmissionMessage, signature: bytes) -> None:
        """Someone else's submission, mined in the next block."""
        self._check(m, signature, self.block + 1, self.timestamp + 12)
        self._mine()
        self._apply(m, self.block)

    def broadcast(self, message: SubmissionMessage, signature: bytes) -> HexStr:
        self._check(message, signature, self.block + 1, self.timestamp + 12)  # gas estimation
        tx = HexStr("0x" + secrets.token_hex(32))
        self.pending[tx] = (message, signature)
        self.broadcasts += 1
        return tx

    def mine_pending(self) -> None:
        """Include every pending transaction (what a real chain does while we are down)."""
        for tx in list(self.pending):
            with contextlib.suppress(ContractRevert):
                self._include(HexStr(tx))

    def _include(self, tx: HexStr) -> int:
        message, signature = self.pending.pop(tx)
        self._mine(1 + self.inclusion_delay)
        self.inclusion_delay = 0
        self.mined[tx] = self.block
        try:
            self._check(message, signature, self.block, self.timestamp)
        except ContractRevert as err:
            self.reverted[tx] = err
            raise
        self._apply(message, self.block)
        return self.block

    def wait(self, tx_hash: HexStr) -> int:
        if tx_hash in self.reverted:
            raise self.reverted[tx_hash]
        if tx_hash in self.mined:
            return self.mined[tx_hash]
        return self._include(tx_hash)

    def tx_state(self, tx_hash: HexStr) -> TxState:
        if tx_hash in self.mined:
            return TxState.MINED
        if tx_hash in self.pending:
            return TxState.PENDING
        return TxState.UNKNOWN
