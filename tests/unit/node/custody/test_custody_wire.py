"""Wire models: strict fields, exact byte lengths, and a faithful EIP-712 round trip."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from node.chain.eip712 import DecryptionRequest, Purpose
from node.custody.wire import MAX_REQUEST_BYTES, ShareRequestBody, WireRequest

MESSAGE = DecryptionRequest(
    purpose=int(Purpose.ACCESS),
    reqId=7,
    datasetId=1,
    epoch=0,
    fileId=b"\x11" * 32,
    requesterKey=b"\x22" * 32,
    deadline=2**40,
    nonce=2**255 + 3,
)


def test_round_trip_to_the_signed_message() -> None:
    body = ShareRequestBody(request=WireRequest.from_message(MESSAGE), signature="0x" + "ab" * 65)
    raw = body.model_dump_json()
    assert len(raw) < MAX_REQUEST_BYTES
    assert ShareRequestBody.model_validate_json(raw).request.to_message() == MESSAGE


@pytest.mark.parametrize(
    "patch",
    [
        {"fileId": "0x" + "11" * 31},
        {"requesterKey": "22" * 32},
        {"purpose": 9},
        {"nonce": 2**256},
        {"deadline": -1},
        {"extra": 1},
    ],
)
def test_malformed_fields_are_refused(patch: dict[str, object]) -> None:
    fields = WireRequest.from_message(MESSAGE).model_dump(mode="json") | patch
    with pytest.raises(ValidationError):
        WireRequest.model_validate(fields)


def test_signature_must_be_65_bytes() -> None:
    with pytest.raises(ValidationError):
        ShareRequestBody(request=WireRequest.from_message(MESSAGE), signature="0x" + "ab" * 64)
