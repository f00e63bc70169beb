"""ChainClient's retry policies against a scripted JSON-RPC provider (no node, no waiting).

Hostile cases first: a node that never answers, one that answers 5xx, one that reverts, one that
refuses a transaction. The properties: reads retry transport failures and give up with
ChainUnavailable after their bound; a revert or a refusal is answered once, never retried; a
broadcast only ever re-sends the very same signed bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from eth_account import Account
from web3 import Web3
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from node.chain.client import ChainClient
from node.chain.errors import ChainUnavailable, ContractRevert, ReasonRevert
from node.errors import ChainError

# Answer: a JSON-RPC result, or an exception to raise (a transport failure), or a callable.
Script = dict[str, list[Any]]

BLOCK = {
    "number": "0x10",
    "hash": "0x" + "11" * 32,
    "parentHash": "0x" + "22" * 32,
    "baseFeePerGas": "0x7",
    "timestamp": "0x1",
    "gasLimit": "0x1c9c380",
    "gasUsed": "0x0",
    "transactions": [],
}
# Error(string) "no", ABI-encoded: what a require(false, "no") reverts with.
REVERT_DATA = "0x08c379a0" + "20".rjust(64, "0") + "2".rjust(64, "0") + "6e6f".ljust(64, "0")


class ScriptedProvider(BaseProvider):
    """Answers each method from a queue; the last answer repeats. Records every request."""

    def __init__(self, script: Script) -> None:
        super().__init__()
        self.script = script
        self.calls: list[tuple[str, Any]] = []

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.calls.append((str(method), params))
        queue = self.script.get(str(method))
        if not queue:
            raise AssertionError(f"unexpected RPC {method}")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            answer = answer(params)
        if isinstance(answer, dict) and "error" in answer:
            return {"jsonrpc": "2.0", "id": 1, "error": answer["error"]}
        return {"jsonrpc": "2.0", "id": 1, "result": answer}

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)


def _http_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status}", response=response)


def _client(script: Script, *, max_retries: int = 3, signer: bool = False) -> ChainClient:
    provider = ScriptedProvider(script)
    account = Account.from_key("0x" + "01" * 32) if signer else None
    sleeps: list[float] = []
    client = ChainClient(Web3(provider), account, max_retries=max_retries, sleep=sleeps.append)
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


def _provider(client: ChainClient) -> ScriptedProvider:
    provider = client.w3.provider
    assert isinstance(provider, ScriptedProvider)
    return provider


def _send_script(broadcast: list[Any]) -> Script:
    return {
        "eth_getBlockByNumber": [BLOCK],
        "eth_maxPriorityFeePerGas": ["0x1"],
        "eth_getTransactionCount": ["0x0"],
        "eth_chainId": ["0x7a69"],
        "eth_sendRawTransaction": broadcast,
        "eth_getTransactionByHash": [None],
    }


# ------------------------------------------------------------------------------- reads


def test_a_read_gives_up_after_its_bound_with_chain_unavailable() -> None:
    client = _client({"eth_blockNumber": [requests.ConnectionError("refused")]}, max_retries=3)
    with pytest.raises(ChainUnavailable, match="unreachable") as info:
        client.block_number()
    assert isinstance(info.value, ChainError)
    assert isinstance(info.value.__cause__, requests.ConnectionError)
    assert _provider(client).count("eth_blockNumber") == 4  # 1 + max_retries
    assert len(client.sleeps) == 3  # type: ignore[attr-defined]


def test_a_read_rides_out_transient_failures() -> None:
    client = _client(
        {
            "eth_blockNumber": [
                requests.ConnectionError("refused"),
                requests.Timeout("slow"),
                _http_error(503),
                "0x2a",
            ]
        }
    )
    assert client.block_number() == 42
    assert _provider(client).count("eth_blockNumber") == 4


def test_backoff_grows_and_is_bounded() -> None:
    client = _client({"eth_blockNumber": [TimeoutError()]}, max_retries=8)
    with pytest.raises(ChainUnavailable):
        client.block_number()
    sleeps: list[float] = client.sleeps  # type: ignore[attr-defined]
    assert len(sleeps) == 8
    # CHAIN_READ: 0.2 s doubling, plus up to 0.2 s of jitter, each wait capped at 3 s
    for n, slept in enumerate(sleeps[:4], start=1):
        assert 0.2 * 2 ** (n - 1) <= slept <= 0.2 * 2 ** (n - 1) + 0.2
    assert sleeps[-1] == 3.0


def test_a_client_error_status_is_not_retried() -> None:
    client = _client({"eth_blockNumber": [_http_error(401)]})
    with pytest.raises(requests.HTTPError):
        client.block_number()
    assert _provider(client).count("eth_blockNumber") == 1


def test_a_reverting_estimate_is_raised_typed_and_never_retried() -> None:
    client = _client(
        {
            **_send_script(["0x" + "ab" * 32]),
            "eth_estimateGas": [
                {"error": {"code": 3, "message": "execution reverted: no", "data": REVERT_DATA}}
            ],
        },
        signer=True,
    )
    token = client.contract(
        "0x" + "33" * 20,
        [
            {
                "type": "function",
                "name": "poke",
                "inputs": [],
                "outputs": [],
                "stateMutability": "nonpayable",
            }
        ],
    )
    with pytest.raises(ContractRevert) as info:
        client.send_nowait(token.functions.poke())
    assert isinstance(info.value, ReasonRevert)
    assert info.value.fields == {"reason": "no"}
    provider = _provider(client)
    assert provider.count("eth_estimateGas") == 1
    assert provider.count("eth_sendRawTransaction") == 0  # a revert never costs a nonce


# ------------------------------------------------------------------------------- sends


def test_a_broadcast_retry_resends_the_same_signed_bytes() -> None:
    ok: Callable[[Any], str] = lambda params: "0x" + "ab" * 32  # noqa: E731
    client = _client(
        _send_script([requests.ConnectionError("reset"), _http_error(502), ok]), signer=True
    )
    pending = client.transfer_nowait("0x" + "44" * 20, 1)
    provider = _provider(client)
    sent = [p for m, p in provider.calls if m == "eth_sendRawTransaction"]
    assert len(sent) == 3
    assert all(p == sent[0] for p in sent)  # the very same bytes: one transaction at most
    assert pending.nonce == 0
    assert provider.count("eth_getTransactionCount") == 1  # no fresh nonce per retry


def test_a_broadcast_that_never_gets_through_gives_up_and_forgets_the_nonce() -> None:
    client = _client(_send_script([requests.ConnectionError("down")]), signer=True, max_retries=2)
    with pytest.raises(ChainUnavailable, match="broadcast of 0x"):
        client.transfer_nowait("0x" + "44" * 20, 1)
    provider = _provider(client)
    assert provider.count("eth_sendRawTransaction") == 3
    # the next send asks the node for the nonce again instead of trusting the local count
    provider.script["eth_sendRawTransaction"] = ["0x" + "ab" * 32]
    client.transfer_nowait("0x" + "44" * 20, 1)
    assert provider.count("eth_getTransactionCount") == 2


def test_a_refused_transaction_is_never_retried() -> None:
    client = _client(
        _send_script([{"error": {"code": -32000, "message": "insufficient funds for gas"}}]),
        signer=True,
    )
    with pytest.raises(ChainError, match="insufficient funds") as info:
        client.transfer_nowait("0x" + "44" * 20, 1)
    assert not isinstance(info.value, ChainUnavailable)
    assert _provider(client).count("eth_sendRawTransaction") == 1
