"""An in-memory SubmissionGateway that applies SubmissionRegistry v2's ``submit`` rules.

A fake, not a mock: it mines blocks, keeps records and the per-contributor content index,
derives file ids as the registry does, verifies the EIP-712 signature with the real code, takes
the bond, and raises the typed reverts named as in ``contracts/src/SubmissionRegistry.sol``
(v2.md's interface); like :class:`~node.pipeline.ChainGateway` it refuses a wrong bond before
sending. Like anvil with automine,
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

from node.chain.eip712 import SubmissionMessage, recover_signer, sign
from node.chain.errors import ContractRevert
from node.chain.registry import SubmissionRecord
from node.chain.revert import revert_table
from node.pipeline.gateway import EpochPosition, Head, NoActiveRitual, TxState, WrongBond
from node.protocol.crypto import DaoPublicKey
from node.protocol.dkg_local import LocalRitual
from node.protocol.ids import submission_file_id
from node.types import Cid, ContentCommitment, DatasetId, Epoch, HeaderHash, RitualId

REGISTRY = Web3.to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")
BOND = 10**16


def revert(name: str, fields: dict[str, object]) -> ContractRevert:
    """The generated exception for ``SubmissionRegistry<name>`` (a stand-in class of that name
    while the checked-in ABIs predate it: the pipeline dispatches on ``error_name``)."""
    error = f"SubmissionRegistry{name}"
    for cls, _types in revert_table().values():
        if cls.error_name == error:
            found: ContractRevert = cls(fields)
            return found
    stand_in: type[ContractRevert] = type(error, (ContractRevert,), {"error_name": error})
    return stand_in(fields)


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
    bond: int = BOND
    bond_seen_by_pipeline: int | None = None
    """When set, what ``submission_bond`` answers (a stale or tampered read)."""
    records: dict[bytes, SubmissionRecord] = field(default_factory=dict)
    by_content: dict[tuple[str, bytes], bytes] = field(default_factory=dict)
    """(contributor, commitment) -> file id: the registry's per-contributor dedupe."""
    paid: int = 0
    pending: dict[str, tuple[SubmissionMessage, bytes, int]] = field(default_factory=dict)
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

    def content_submitted(self, commitment: bytes) -> bool:
        return (self.contributor, commitment) in self.by_content

    def submission_bond(self) -> int:
        if self.bond_seen_by_pipeline is not None:
            return self.bond_seen_by_pipeline
        return self.bond

    @property
    def by_commitment(self) -> dict[bytes, bytes]:
        """commitment -> file id of this signer's registrations."""
        return {c: f for (who, c), f in self.by_content.items() if who == self.contributor}

    # -- writes
    def sign(self, message: SubmissionMessage) -> bytes:
        return sign(message, self.account, chain_id=self.chain_id, registry=REGISTRY)

    def _check(
        self, m: SubmissionMessage, signature: bytes, block: int, timestamp: int, value: int
    ) -> None:
        """SubmissionRegistry.submit's checks (v2)."""
        if timestamp > m.deadline:
            raise revert("Expired", {"deadline": m.deadline, "timestamp": timestamp})
        if not m.cid:
            raise revert("EmptyCid", {})
        current = self.epoch_at(block)
        if m.epoch != current:
            raise revert("WrongEpoch", {"epoch": m.epoch, "currentEpoch": current})
        active = self.ritual_id if self.ritual is not None else 0
        if m.ritualId != active or active == 0:
            raise revert("RitualNotActive", {"ritualId": m.ritualId, "activeRitualId": active})
        if value != self.bond:
            raise revert("WrongBond", {"expected": self.bond, "got": value})
        signer = recover_signer(m, signature, chain_id=self.chain_id, registry=REGISTRY)
        if signer != m.contributor:
            raise revert("InvalidSignature", {"contributor": m.contributor})
        file_id = submission_file_id(m.contributor, m.headerHash)
        if file_id in self.records:
            raise revert("DuplicateFileId", {"fileId": file_id})
        if (m.contributor, m.contentCommitment) in self.by_content:
            raise revert(
                "DuplicateContent",
                {
                    "datasetId": m.datasetId,
                    "contributor": m.contributor,
                    "contentCommitment": m.contentCommitment,
                },
            )

    def _apply(self, m: SubmissionMessage, block: int, value: int) -> None:
        file_id = submission_file_id(m.contributor, m.headerHash)
        self.by_content[(m.contributor, m.contentCommitment)] = file_id
        self.paid += value
        self.records[file_id] = SubmissionRecord(
            file_id=file_id,
            contributor=m.contributor,
            dataset_id=DatasetId(m.datasetId),
            epoch=Epoch(m.epoch),
            ritual_id=RitualId(m.ritualId),
            registered_at=block,
            header_hash=HeaderHash(m.headerHash),
            content_commitment=ContentCommitment(m.contentCommitment),
            cid=Cid(m.cid),
            bond=value,
        )

    def register_directly(self, m: SubmissionMessage, signature: bytes) -> None:
        """A submission sent by someone else (a relayer, another process), mined next block."""
        self._check(m, signature, self.block + 1, self.timestamp + 12, self.bond)
        self._mine()
        self._apply(m, self.block, self.bond)

    def broadcast(self, message: SubmissionMessage, signature: bytes, bond: int) -> HexStr:
        if bond != self.bond:  # ChainGateway's own check, before anything is sent
            raise WrongBond(self.bond, bond)
        self._check(message, signature, self.block + 1, self.timestamp + 12, bond)  # estimation
        tx = HexStr("0x" + secrets.token_hex(32))
        self.pending[tx] = (message, signature, bond)
        self.broadcasts += 1
        return tx

    def mine_pending(self) -> None:
        """Include every pending transaction (what a real chain does while we are down)."""
        for tx in list(self.pending):
            with contextlib.suppress(ContractRevert):
                self._include(HexStr(tx))

    def _include(self, tx: HexStr) -> int:
        message, signature, value = self.pending.pop(tx)
        self._mine(1 + self.inclusion_delay)
        self.inclusion_delay = 0
        self.mined[tx] = self.block
        try:
            self._check(message, signature, self.block, self.timestamp, value)
        except ContractRevert as err:
            self.reverted[tx] = err
            raise
        self._apply(message, self.block, value)
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
