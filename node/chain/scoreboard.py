"""Typed wrapper of ScoreBoard v2: epoch seeds, committees, commit / reveal of one score root,
finalization, and where the winning score vector was published.

Protocol v2 (issue #16) reveals ``(root, total, vectorCid, salt)`` instead of per-file basis
points; the contract keeps stake per ``(root, total)`` key and finalizes in O(committee). The
vector's CID is not stored: it is in the ``ScoresRevealed`` events of the revealers whose key
won, which :meth:`ScoreBoard.winning_vector_cid` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import EventData, TxReceipt

from node.chain._base import ContractWrapper
from node.types import Cid, DatasetId, Epoch

__all__ = ["EpochStatus", "RevealedVector", "ScoreBoard"]

ZERO32 = bytes(32)


@dataclass(frozen=True, slots=True)
class EpochStatus:
    """``ScoreBoard.epochStatus`` (v2 fields, in the contract's order)."""

    seed_fixed: bool
    finalized: bool
    quorum_met: bool
    committed_stake: int
    revealed_stake: int
    winning_stake: int


@dataclass(frozen=True, slots=True)
class RevealedVector:
    """One ``ScoresRevealed`` event: who revealed which root and where its vector lives."""

    validator: ChecksumAddress
    root: bytes
    total: int
    vector_cid: Cid
    block_number: int

    @classmethod
    def from_event(cls, log: EventData) -> RevealedVector:
        args = log["args"]
        return cls(
            validator=Web3.to_checksum_address(args["validator"]),
            root=bytes(args["root"]),
            total=int(args["total"]),
            vector_cid=Cid(str(args["vectorCid"])),
            block_number=int(log["blockNumber"]),
        )


class ScoreBoard(ContractWrapper):
    NAME = "ScoreBoard"

    # ------------------------------------------------------------------------------- writes

    def fixSeed(self, dataset_id: DatasetId, epoch: Epoch) -> TxReceipt:  # noqa: N802
        return self._send("fixSeed", dataset_id, epoch)

    def commit(self, dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> TxReceipt:
        return self._send("commit", dataset_id, epoch, commitment)

    def reveal(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        root: bytes,
        total: int,
        vector_cid: str,
        salt: bytes,
    ) -> TxReceipt:
        """Reveal the committed ``(root, total)`` with the CID the vector was published under
        (the CID is not part of the commitment: it only says where to fetch the bytes, which
        are checked against the root by whoever fetches them)."""
        return self._send("reveal", dataset_id, epoch, root, total, str(vector_cid), salt)

    def finalize(self, dataset_id: DatasetId, epoch: Epoch) -> TxReceipt:
        return self._send("finalize", dataset_id, epoch)

    # ------------------------------------------------------------------------------- reads

    def epochSeed(self, dataset_id: DatasetId, epoch: Epoch) -> bytes:  # noqa: N802
        return bytes(self._call("epochSeed", dataset_id, epoch))

    def committee(self, dataset_id: DatasetId, epoch: Epoch) -> list[ChecksumAddress]:
        return [Web3.to_checksum_address(a) for a in self._call("committee", dataset_id, epoch)]

    def committeeStake(self, dataset_id: DatasetId, epoch: Epoch) -> int:  # noqa: N802
        return int(self._call("committeeStake", dataset_id, epoch))

    def epochStatus(self, dataset_id: DatasetId, epoch: Epoch) -> EpochStatus:  # noqa: N802
        return EpochStatus(*self._call("epochStatus", dataset_id, epoch))

    def finalizedRoot(self, dataset_id: DatasetId, epoch: Epoch) -> tuple[bytes, int]:  # noqa: N802
        """The epoch's final ``(root, total)``; ``(0x0…0, 0)`` before finalization or when the
        epoch finalized without quorum."""
        root, total = self._call("finalizedRoot", dataset_id, epoch)
        return bytes(root), int(total)

    def revealedRoot(  # noqa: N802
        self, dataset_id: DatasetId, epoch: Epoch, validator: str
    ) -> tuple[bytes, int]:
        v = Web3.to_checksum_address(validator)
        root, total = self._call("revealedRoot", dataset_id, epoch, v)
        return bytes(root), int(total)

    def agreementEma(self, validator: str) -> int:  # noqa: N802
        return int(self._call("agreementEma", Web3.to_checksum_address(validator)))

    def commitmentOf(self, dataset_id: DatasetId, epoch: Epoch, validator: str) -> bytes:  # noqa: N802
        v = Web3.to_checksum_address(validator)
        return bytes(self._call("commitmentOf", dataset_id, epoch, v))

    def revealed(self, dataset_id: DatasetId, epoch: Epoch, validator: str) -> bool:
        v = Web3.to_checksum_address(validator)
        return bool(self._call("revealed", dataset_id, epoch, v))

    # ------------------------------------------------------------------------------- logs

    def revealed_vectors(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        *,
        from_block: int,
        to_block: int | None = None,
    ) -> list[RevealedVector]:
        """The epoch's ``ScoresRevealed`` events in chain order (filtered by the indexed
        dataset and epoch topics; a provider that ignores them is filtered again here)."""
        event = self.contract.events["ScoresRevealed"]()
        logs = self.chain.events(
            event,
            from_block=from_block,
            to_block=to_block,
            argument_filters={"datasetId": int(dataset_id), "epoch": int(epoch)},
        )
        return [
            RevealedVector.from_event(log)
            for log in _chain_order(logs)
            if int(log["args"]["datasetId"]) == int(dataset_id)
            and int(log["args"]["epoch"]) == int(epoch)
            and log["address"] == self.address
        ]

    def winning_vector_cid(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        *,
        from_block: int,
        to_block: int | None = None,
    ) -> Cid | None:
        """The CID of the finalized score vector: the first (chain order) winning revealer's.

        ``None`` when the epoch is not finalized with quorum, or no winning revealer's event
        is in the block range (pass the epoch's reveal window). Winning revealers could name
        different CIDs for the same root (a different UnixFS layout, a typo); every CID is only
        a pointer, so a reader must still decode the bytes and check them against the root
        (:meth:`node.protocol.scorevector.ScoreVector.decode`) and may try the next one.
        """
        cids = self.winning_vector_cids(dataset_id, epoch, from_block=from_block, to_block=to_block)
        return cids[0] if cids else None

    def winning_vector_cids(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        *,
        from_block: int,
        to_block: int | None = None,
    ) -> list[Cid]:
        """Every distinct CID the winning revealers published, first revealer first."""
        status = self.epochStatus(dataset_id, epoch)
        if not (status.finalized and status.quorum_met):
            return []
        root, total = self.finalizedRoot(dataset_id, epoch)
        out: list[Cid] = []
        for r in self.revealed_vectors(dataset_id, epoch, from_block=from_block, to_block=to_block):
            if (r.root, r.total) == (root, total) and r.vector_cid not in out:
                out.append(r.vector_cid)
        return out


def _chain_order(logs: Iterable[EventData]) -> list[EventData]:
    return sorted(logs, key=lambda e: (int(e["blockNumber"]), int(e["logIndex"])))
