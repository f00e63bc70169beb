"""RitualMember with real Ferveo: n members deal, aggregate to one key, and t shares open a file."""

from __future__ import annotations

import pytest
from web3 import Web3

from node.errors import KeyCustodyError
from node.protocol.crypto import (
    DaoPublicKey,
    SealContext,
    combine_decryption_shares,
    ferveo_ciphertext_header,
    open_sealed_bytes,
    seal_bytes,
    unwrap_dek,
)
from node.protocol.dkg_member import (
    BadTranscript,
    Participant,
    RitualMember,
    ferveo_public_key,
    new_keypair_seed,
)
from node.types import ContentCommitment, DatasetId, RitualId

N, T, RITUAL = 4, 3, 7
ADDRESSES = [f"0x{i + 1:040x}" for i in range(N)]


@pytest.fixture(scope="module")
def members() -> list[RitualMember]:
    seeds = [new_keypair_seed() for _ in range(N)]
    committee = [
        Participant(a, ferveo_public_key(s)) for a, s in zip(ADDRESSES, seeds, strict=True)
    ]
    return [
        RitualMember(ritual_id=RITUAL, threshold=T, participants=committee, me=a, keypair_seed=s)
        for a, s in zip(ADDRESSES, seeds, strict=True)
    ]


def _ctx() -> SealContext:
    return SealContext(
        chain_id=31337,
        registry=Web3.to_checksum_address("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        dataset_id=DatasetId(1),
        contributor=Web3.to_checksum_address("0x" + "11" * 20),
        ritual_id=RitualId(RITUAL),
        content_commitment=ContentCommitment(b"\x22" * 32),
    )


def test_members_agree_on_one_key_and_t_shares_open_a_file(members: list[RitualMember]) -> None:
    transcripts = {m.participants[m.index].address: m.deal() for m in members}
    aggregations = [m.aggregate(transcripts) for m in members]
    assert len({a.digest for a in aggregations}) == 1
    assert len({a.dkg_public_key for a in aggregations}) == 1
    agg = aggregations[0]

    blob = seal_bytes(b"hello ritual", DaoPublicKey(agg.dkg_public_key), _ctx())
    request = ferveo_ciphertext_header(blob.header)
    shares = [m.decryption_share(agg.aggregated_transcript, request) for m in members[1:]]

    def dek_for(header: object) -> object:
        return unwrap_dek(blob.header, combine_decryption_shares(shares))

    assert open_sealed_bytes(blob.data, _ctx(), dek_for=dek_for) == b"hello ritual"  # type: ignore[arg-type]


def test_garbage_transcript_is_attributed_to_its_dealer(members: list[RitualMember]) -> None:
    transcripts = {m.participants[m.index].address: m.deal() for m in members}
    transcripts[ADDRESSES[2]] = b"\x00" * 64
    with pytest.raises(BadTranscript) as err:
        members[0].aggregate(transcripts)
    assert err.value.members == [ADDRESSES[2]]


def test_missing_transcript_is_attributed(members: list[RitualMember]) -> None:
    transcripts = {m.participants[m.index].address: m.deal() for m in members[:3]}
    with pytest.raises(BadTranscript) as err:
        members[0].aggregate(transcripts)
    assert err.value.members == [ADDRESSES[3]]


def test_local_key_must_match_the_registered_key() -> None:
    seed = new_keypair_seed()
    committee = [Participant(a, ferveo_public_key(new_keypair_seed())) for a in ADDRESSES]
    with pytest.raises(KeyCustodyError, match="does not match"):
        RitualMember(
            ritual_id=1, threshold=T, participants=committee, me=ADDRESSES[0], keypair_seed=seed
        )


def test_repr_redacts_the_keypair(members: list[RitualMember]) -> None:
    assert "redacted" in repr(members[0])


def test_share_for_a_tampered_header_is_a_typed_error_not_a_panic(
    members: list[RitualMember],
) -> None:
    import dataclasses

    from node.errors import EnvelopeError

    transcripts = {m.participants[m.index].address: m.deal() for m in members}
    agg = members[0].aggregate(transcripts)
    blob = seal_bytes(b"x", DaoPublicKey(agg.dkg_public_key), _ctx())
    request = dataclasses.replace(ferveo_ciphertext_header(blob.header), aad=b"\x00" * 32)
    with pytest.raises(EnvelopeError):
        members[0].decryption_share(agg.aggregated_transcript, request)
