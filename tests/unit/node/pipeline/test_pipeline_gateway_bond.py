"""ChainGateway refuses a submission whose bond is not the dataset's before anything is sent.

Hostile: a stale read, a tampered caller or a bug must not broadcast a transaction that reverts
``SubmissionRegistryWrongBond`` (gas lost) or overpays; the client's send is never reached.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from node.chain.contracts import Contracts
from node.chain.eip712 import SubmissionMessage
from node.pipeline import ChainGateway, WrongBond
from node.types import DatasetId

BOND = 10**16


class RecordingClient:
    address = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"

    def __init__(self) -> None:
        self.sent: list[tuple[Any, int]] = []

    def send_nowait(self, fn: Any, *, value: int = 0, description: str = "") -> Any:
        self.sent.append((fn, value))
        return SimpleNamespace(tx_hash="0x" + "ab" * 32)


class SubmitFn:
    def __init__(self, *args: Any) -> None:
        self.args = args


def gateway(client: RecordingClient) -> ChainGateway:
    registry = SimpleNamespace(
        chain=client,
        address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        contract=SimpleNamespace(functions=SimpleNamespace(submit=SubmitFn)),
    )
    config = SimpleNamespace(submissionBond=lambda ds: BOND)
    contracts = SimpleNamespace(registry=registry, config=config, dkg=None)
    return ChainGateway(cast(Contracts, contracts), dataset_id=DatasetId(1))


def message() -> SubmissionMessage:
    return SubmissionMessage(
        contributor=RecordingClient.address,  # type: ignore[arg-type]
        datasetId=1,
        cid="bafkreiexample",
        headerHash=b"\x01" * 32,
        contentCommitment=b"\x02" * 32,
        ritualId=1,
        epoch=0,
        deadline=2**40,
    )


@pytest.mark.parametrize("bond", [0, BOND - 1, BOND + 1, 10**30])
def test_a_wrong_bond_is_refused_before_sending(bond: int) -> None:
    client = RecordingClient()
    with pytest.raises(WrongBond) as err:
        gateway(client).broadcast(message(), b"\x00" * 65, bond)
    assert (err.value.expected, err.value.got) == (BOND, bond)
    assert client.sent == []


def test_the_dataset_bond_is_sent_as_the_value() -> None:
    client = RecordingClient()
    gateway(client).broadcast(message(), b"\x00" * 65, BOND)
    ((fn, value),) = client.sent
    assert value == BOND
    assert fn.args[1] == b"\x00" * 65
