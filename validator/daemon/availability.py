"""When a contributor's file counts as *unavailable*: a verdict every honest validator reaches
from the same chain-visible facts, never from one transient refusal.

A validator that scores a readable file 0 because *it* could not open it in time commits a wrong
score (issue #17: an honest daemon whose share requests its peers refused ``not_committee``,
because their share services read the chain ``confirmations`` blocks behind and did not see the
committee yet, committed ``[0, 5253, 4747, 0, …]`` against its peers' ``[3194, 3860, 2946, …]``).
So a failure to open a file is sorted into one of two kinds, and only one of them is ever judged
before a deadline every validator computes alike.

**Invalid** (judged at once, the file scores 0 with ``invalid: <error>``): a deterministic fact
about the bytes the chain registered. Storage is content-addressed, so whoever fetches the
registered CID gets the same bytes and reaches the same verdict:

* the stored header does not hash to the registered ``headerHash`` or does not match the
  registered context (:class:`~node.custody.errors.FileHeaderMismatch`);
* the body does not authenticate under the data key, or its plaintext does not hash to the
  registered content commitment (:class:`~node.errors.EnvelopeError`);
* the CID resolves to blocks that do not form a file (:class:`MalformedBlock`,
  :class:`UnsupportedNode`), or to more than the size cap (:class:`BlobTooLarge`), or the
  registered CID does not parse (:class:`InvalidCid`);
* the registry places the file in another dataset or epoch (:class:`FileNotInEpoch`).

**Transient** (retried, with a backoff counted in daemon ticks): anything that depends on who
asks and when. The blob is not (yet) in storage, storage or the RPC did not answer, a gateway
returned bytes that do not hash to the CID (:class:`CidMismatch`: the gateway is wrong, not the
file), fewer than ``t`` committee members gave valid shares
(:class:`~node.custody.errors.NotEnoughShares`: refusals such as ``not_committee`` from a lagging
share service, unreachable or misbehaving validators), and any exception outside the project's
error tree (a bug is not evidence against a contributor).

**Unavailable** (the file scores 0 with ``unavailable by block D: <error>``): an attempt made
when the chain head is at or past the epoch's *availability deadline* ``D`` still fails
transiently. ``D = close_block + (reveal_start - close_block) * 1 // 2`` (:data:`FRACTION` of
the commit window), from the dataset's epoch windows, so every validator uses the same block. It
reads: "by block D, still no ``t`` valid shares could be gathered, or the blob was still not
retrievable". Honest share services see the committee ``confirmations`` blocks after the seed is
fixed and honest contributors' blobs are pinned before they register, so by ``D`` every honest
validator can open every honest file; the other half of the commit window is left for
valuation and the commit itself. An attempt that fails before ``D`` decides nothing.

**Batches change no verdict** (issue #19). The daemon opens an epoch's files in chunks, one
signed batch of share requests per peer per chunk, several chunks at once; every file of a batch
still gets its own outcome (:func:`node.custody.files.decrypt_files` reports each file's typed
error, and the share services answer or refuse each file of a batch separately), sorted by the
rules above exactly as if it had been opened alone. A failure of a batch as a whole (a peer that
refuses or drops the whole request, a bug) is a transient failure of each file in it; the
production opener then retries that chunk file by file. Which files share a batch, and in what
order chunks finish, depend on the validator and never on the chain, so they decide nothing.

A verdict reached after ``D`` is final for that run of the daemon; a restarted daemon re-opens
the files (plaintexts are never on disk), and a file that opens then is valued.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final

from node.chain.dataset_config import EpochWindows
from node.errors import EnvelopeError
from node.storage.errors import BlobTooLarge, InvalidCid, MalformedBlock, UnsupportedNode
from validator.daemon.scoring import ScoringError

__all__ = [
    "FRACTION",
    "INVALID",
    "FileNotInEpoch",
    "availability_deadline",
    "is_invalid",
]

FRACTION: Final = Fraction(1, 2)
"""How far into the commit window transient failures are retried before they count."""


class FileNotInEpoch(ScoringError):
    """The registry says the file belongs to another dataset or epoch (a chain fact)."""

    def __init__(self, file_id: str, epoch: int) -> None:
        super().__init__(f"file {file_id} is not in epoch {epoch}")
        self.file_id = file_id
        self.epoch = epoch


INVALID: Final[tuple[type[Exception], ...]] = (
    EnvelopeError,  # FileHeaderMismatch included
    MalformedBlock,
    UnsupportedNode,
    BlobTooLarge,
    InvalidCid,
    FileNotInEpoch,
)
"""The errors that are deterministic facts about the registered bytes (see the module doc)."""


def is_invalid(err: BaseException) -> bool:
    """Whether ``err`` is a verdict on the file itself (judged at once) rather than on the
    moment or the network (retried until the deadline)."""
    return isinstance(err, INVALID)


def availability_deadline(w: EpochWindows) -> int:
    """The block from which a transient failure to open a file of the epoch is final.

    Never before the commit window opens, and always before it closes (a one-block window
    gives the close itself).
    """
    window = w.reveal_start - w.close_block
    return w.close_block + int(window * FRACTION.numerator // FRACTION.denominator)
