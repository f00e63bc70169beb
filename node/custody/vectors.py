"""The finalized score vector of an epoch, fetched by the CID its revealers published.

Protocol v2 puts one Merkle root of the epoch's score vector on chain; the vector itself is a
content-addressed document that every revealing validator stores and names (``vectorCid``) in
its ``ScoresRevealed`` event. Anyone who holds the vector can check it against the finalized
root and build the Merkle proof of any file's value, which is what a claim, a forfeit, the demo
and the web app need. The loader trusts nothing it fetched: a vector whose root, total, dataset
or epoch differs from the chain's is skipped and the next revealer's CID is tried.
"""

from __future__ import annotations

from typing import Any

from node.chain.contracts import Contracts
from node.errors import DataDaoError, StorageError
from node.protocol.scorevector import MAX_VECTOR_BYTES, ScoreVector, ScoreVectorError
from node.storage.base import BlobStore, read_blob
from node.types import Cid, DatasetId, Epoch

__all__ = ["VectorUnavailable", "finalized_vector", "revealed_vector_cids"]


class VectorUnavailable(DataDaoError):
    """The epoch has no finalized vector (not finalized, no quorum) or none of its published
    copies could be fetched and checked."""

    def __init__(self, dataset_id: int, epoch: int, why: str) -> None:
        super().__init__(f"dataset {dataset_id} epoch {epoch}: no score vector: {why}")
        self.dataset_id = dataset_id
        self.epoch = epoch
        self.why = why


def revealed_vector_cids(
    contracts: Contracts, dataset: DatasetId, epoch: Epoch, root: bytes, total: int
) -> list[str]:
    """The CIDs published with ``(root, total)`` in the epoch's reveal window, in reveal order."""
    w = contracts.config.epochWindows(dataset, epoch)
    event: Any = contracts.board.contract.events.ScoresRevealed()
    logs = event.get_logs(
        argument_filters={"datasetId": int(dataset), "epoch": int(epoch)},
        from_block=int(w.reveal_start),
        to_block=max(int(w.reveal_start), int(w.finalize_from)),
    )
    cids: list[str] = []
    for log in sorted(logs, key=lambda entry: (entry["blockNumber"], entry["logIndex"])):
        args = log["args"]
        if bytes(args["root"]) == root and int(args["total"]) == total:
            cid = str(args["vectorCid"])
            if cid not in cids:
                cids.append(cid)
    return cids


def finalized_vector(
    contracts: Contracts, store: BlobStore, dataset: DatasetId, epoch: Epoch
) -> ScoreVector:
    """The epoch's finalized score vector, checked against the root on chain.

    Raises:
        VectorUnavailable: not finalized, finalized without a quorum (nobody is paid and the
            emission rolls over), or no published copy could be fetched and checked.
    """
    board = contracts.board
    status = board.epochStatus(dataset, epoch)
    if not status.finalized:
        raise VectorUnavailable(dataset, epoch, "the epoch is not finalized yet")
    if not status.quorum_met:
        raise VectorUnavailable(
            dataset, epoch, "finalized without a quorum: nobody is paid, the emission rolls over"
        )
    raw_root, raw_total = board.finalizedRoot(dataset, epoch)
    root, total = bytes(raw_root), int(raw_total)
    cids = revealed_vector_cids(contracts, dataset, epoch, root, total)
    problems: list[str] = []
    for cid in cids:
        try:
            vector = ScoreVector.decode(read_blob(store, Cid(cid), max_bytes=MAX_VECTOR_BYTES))
        except (StorageError, ScoreVectorError) as exc:
            problems.append(f"{cid}: {exc}")
            continue
        if (vector.root, vector.total, int(vector.dataset_id), int(vector.epoch)) != (
            root,
            total,
            int(dataset),
            int(epoch),
        ):
            problems.append(f"{cid}: does not match the finalized root")
            continue
        return vector
    why = "; ".join(problems) if problems else "no revealer published the finalized root's vector"
    raise VectorUnavailable(dataset, epoch, why)
