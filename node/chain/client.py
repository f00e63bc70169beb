"""ChainClient: the only place in datadao that signs and sends transactions.

Contract wrappers build calls; this module owns the policies around them, in one place:

- **signing** with a local key: an eth-account keystore v3 file, or a devnet account's key;
- **nonces** tracked locally under a lock, so a burst of sends from one process gets consecutive
  nonces without waiting for each receipt, resynchronised from the node on "nonce too low";
- **EIP-1559 fees** from the latest base fee and the node's priority-fee suggestion;
- **exactly-once broadcast**: a transaction is signed once and only those bytes are re-sent on
  transport errors, so a retry can never create a second transaction (same nonce, same hash);
- **retries** by kind of call (:mod:`node.retry`): reads (including the gas estimate and the
  nonce fetch) under ``CHAIN_READ``, the broadcast of signed bytes under ``CHAIN_BROADCAST``;
  web3's own HTTP retry is switched off so there is exactly one policy per call, and a revert
  or any other answer from the node is never retried;
- **confirmations**: a receipt counts only once it is ``confirmations`` blocks deep;
- **revert decoding**: custom errors become the typed exceptions generated from the ABIs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from hexbytes import HexBytes
from requests import HTTPError
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractEvent, ContractFunction
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    ProviderConnectionError,
    TransactionNotFound,
    Web3RPCError,
)
from web3.types import BlockIdentifier, EventData, Nonce, TxParams, TxReceipt, Wei

from node.chain.errors import (
    ChainUnavailable,
    ContractRevert,
    ReasonRevert,
    SignerRequired,
    TransactionFailed,
    TransactionTimeout,
)
from node.chain.revert import decode_revert
from node.errors import ChainError, ConfigError
from node.retry import CHAIN_BROADCAST, CHAIN_READ, RetryPolicy, retry_call

__all__ = ["ChainClient", "PendingTx", "load_keystore"]

log = logging.getLogger(__name__)
T = TypeVar("T")

FEE_QUOTE_TTL_S = 1.0

_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ProviderConnectionError,
    ConnectionError,
    TimeoutError,
)
_RPC_FAILURES: tuple[type[BaseException], ...] = (*_TRANSPORT_ERRORS, HTTPError)
# HTTP answers that mean "not now" rather than "no": a rate limit or a gateway in trouble.
_TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})


def _transient(err: BaseException) -> bool:
    """Whether an RPC failure may go away on its own (and the request may be repeated)."""
    if isinstance(err, HTTPError):
        response = err.response
        return response is not None and response.status_code in _TRANSIENT_STATUS
    return isinstance(err, _TRANSPORT_ERRORS)


def load_keystore(path: Path, password: str) -> LocalAccount:
    """Decrypt an eth-account keystore v3 file. The password never leaves this function.

    Raises:
        ConfigError: the file is missing, not a keystore, or the password is wrong (a setting
            to fix, not a chain failure).
    """
    try:
        blob = json.loads(path.read_text())
        key = Account.decrypt(blob, password)
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(
            f"cannot unlock keystore {path}: {type(err).__name__}; check DATADAO_KEYSTORE and "
            "DATADAO_KEYSTORE_PASSWORD"
        ) from None
    account: LocalAccount = Account.from_key(key)
    return account


@dataclass(frozen=True, slots=True)
class PendingTx:
    """A signed, broadcast transaction whose receipt has not been awaited yet."""

    tx_hash: HexStr
    nonce: int
    raw: bytes
    description: str


class ChainClient:
    """Reads, sends and decodes, against one JSON-RPC endpoint with one optional signer.

    Args:
        w3: a connected Web3 instance (injected: tests may pass any provider).
        account: the signing key, or None for a read-only client.
        confirmations: blocks a receipt must be buried under (1 = included).
        receipt_timeout_s: how long to wait for a receipt before TransactionTimeout.
        max_retries: bounded retries for transport errors on each RPC request (reads and the
            re-broadcast of signed bytes); the waits and the time bound are
            :data:`node.retry.CHAIN_READ`'s and :data:`node.retry.CHAIN_BROADCAST`'s.
        poll_interval_s: receipt polling interval.
        sleep: the retry waits (tests inject a no-op); None is ``time.sleep``.
    """

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount | None = None,
        *,
        confirmations: int = 1,
        receipt_timeout_s: float = 120.0,
        max_retries: int = 5,
        poll_interval_s: float = 0.05,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if confirmations < 1:
            raise ValueError("confirmations must be >= 1")
        self.w3 = w3
        self._account = account
        self.confirmations = confirmations
        self.receipt_timeout_s = receipt_timeout_s
        self.max_retries = max_retries
        self.poll_interval_s = poll_interval_s
        self._sleep = sleep
        self._read_policy: RetryPolicy = CHAIN_READ.with_attempts(max_retries + 1)
        self._broadcast_policy: RetryPolicy = CHAIN_BROADCAST.with_attempts(max_retries + 1)
        self._lock = threading.Lock()
        self._next_nonce: int | None = None
        self._fee_quote: tuple[float, int, int] | None = None
        self._chain_id: int | None = None

    @classmethod
    def connect(
        cls,
        rpc_url: str,
        account: LocalAccount | None = None,
        *,
        timeout_s: float = 30.0,
        **kwargs: Any,
    ) -> ChainClient:
        """Client for an HTTP JSON-RPC URL.

        web3's provider-level retry is off: this client's policies (:mod:`node.retry`) are the
        only retries, instead of up to five provider retries inside each of ours.
        """
        w3 = Web3(
            HTTPProvider(
                rpc_url,
                request_kwargs={"timeout": timeout_s},
                exception_retry_configuration=None,
            )
        )
        return cls(w3, account, **kwargs)

    # ----------------------------------------------------------------------------- identity

    @property
    def account(self) -> LocalAccount:
        if self._account is None:
            raise SignerRequired()
        return self._account

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    @property
    def has_signer(self) -> bool:
        return self._account is not None

    @property
    def rpc_url(self) -> str:
        provider = self.w3.provider
        return str(getattr(provider, "endpoint_uri", provider))

    def with_account(self, account: LocalAccount) -> ChainClient:
        """A client on the same endpoint and policies, signing with another key."""
        return ChainClient(
            self.w3,
            account,
            confirmations=self.confirmations,
            receipt_timeout_s=self.receipt_timeout_s,
            max_retries=self.max_retries,
            poll_interval_s=self.poll_interval_s,
            sleep=self._sleep,
        )

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self._rpc(lambda: self.w3.eth.chain_id)
        return self._chain_id

    def block_number(self) -> int:
        return self._rpc(lambda: self.w3.eth.block_number)

    def contract(self, address: str, abi: list[dict[str, Any]]) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)

    # ----------------------------------------------------------------------------- reads

    def call(self, fn: ContractFunction, *, block: BlockIdentifier = "latest") -> Any:
        """Call a view function; custom-error reverts raise their typed exception."""
        try:
            return self._rpc(lambda: fn.call(block_identifier=block))
        except (ContractCustomError, ContractLogicError, ContractPanicError) as err:
            raise _typed_revert(err) from None

    def events(
        self,
        event: ContractEvent,
        *,
        from_block: int,
        to_block: int | None = None,
        page_size: int = 2_000,
        argument_filters: dict[str, Any] | None = None,
    ) -> Iterator[EventData]:
        """Yield decoded logs of one event, paging through ``[from_block, to_block]``.

        Paging keeps each ``eth_getLogs`` within the range limits public RPC providers impose.
        """
        end = self.block_number() if to_block is None else to_block
        start = from_block
        while start <= end:
            stop = min(start + page_size - 1, end)
            batch: list[EventData] = self._rpc(
                partial(
                    event.get_logs,
                    from_block=start,
                    to_block=stop,
                    argument_filters=argument_filters,
                )
            )
            yield from batch
            start = stop + 1

    # ----------------------------------------------------------------------------- writes

    def send(
        self,
        fn: ContractFunction,
        *,
        value: int = 0,
        gas: int | None = None,
        description: str = "",
    ) -> TxReceipt:
        """Sign, broadcast and wait for one contract call; raise its typed revert if it fails."""
        return self.wait(self.send_nowait(fn, value=value, gas=gas, description=description))

    def transfer(self, to: str, value: int) -> TxReceipt:
        """Send plain ETH and wait for it."""
        return self.wait(self.transfer_nowait(to, value))

    def transfer_nowait(self, to: str, value: int) -> PendingTx:
        """Send plain ETH without waiting (bursts: funding many accounts)."""
        tx: TxParams = {"to": Web3.to_checksum_address(to), "value": Wei(value), "data": b""}
        return self._sign_and_broadcast(tx, gas=21_000, description=f"transfer to {to}")

    def send_nowait(
        self,
        fn: ContractFunction,
        *,
        value: int = 0,
        gas: int | None = None,
        description: str = "",
    ) -> PendingTx:
        """Sign and broadcast without waiting; use for bursts, then :meth:`wait` each one.

        Gas is estimated first, which is also where most reverts surface, before a nonce is used.
        """
        what = description or f"{fn.address}.{fn.fn_name}"
        tx: TxParams = {
            "to": fn.address,
            "value": Wei(value),
            "data": HexBytes(fn._encode_transaction_data()),
        }
        if gas is None:
            gas = self._estimate_gas({**tx, "from": self.address})
        return self._sign_and_broadcast(tx, gas=gas, description=what)

    def wait(self, pending: PendingTx) -> TxReceipt:
        """Wait for ``pending`` to be mined and buried; raise its typed revert if it failed."""
        deadline = time.monotonic() + self.receipt_timeout_s
        receipt: TxReceipt | None = None
        depth = 0
        while time.monotonic() < deadline:
            try:
                receipt = self.w3.eth.get_transaction_receipt(pending.tx_hash)
            except TransactionNotFound:
                receipt = None
            except _RPC_FAILURES as err:
                if not _transient(err):
                    raise
                receipt = None  # the node may be restarting; keep polling until the deadline
            if receipt is not None:
                # a receipt means the tx is in a block: depth 1 needs no extra head lookup
                depth = (
                    1
                    if self.confirmations == 1
                    else self.block_number() - receipt["blockNumber"] + 1
                )
                if depth >= self.confirmations:
                    break
            time.sleep(self.poll_interval_s)
        if receipt is None or depth < self.confirmations:
            with self._lock:
                self._next_nonce = None  # the tx may have been dropped: ask the node next time
            raise TransactionTimeout(pending.tx_hash, self.receipt_timeout_s)
        if receipt["status"] != 1:
            raise self._explain_failure(pending, receipt)
        log.debug(
            "tx mined",
            extra={"tx": pending.tx_hash, "what": pending.description, "gas": receipt["gasUsed"]},
        )
        return receipt

    # ----------------------------------------------------------------------------- internals

    def _estimate_gas(self, tx: TxParams) -> int:
        try:
            estimate = self._rpc(lambda: self.w3.eth.estimate_gas(tx))
        except (ContractCustomError, ContractLogicError, ContractPanicError) as err:
            raise _typed_revert(err) from None
        except Web3RPCError as err:
            revert = _revert_from_rpc_error(err)
            if revert is not None:
                raise revert from None
            raise
        # 20% headroom: state can move between estimation and inclusion (e.g. a median over
        # more reveals), and an out-of-gas failure costs more than the unused allowance.
        return int(estimate * 1.2) + 10_000

    def _fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas), refreshed at most once per second.

        ``2 * baseFee + tip`` stays valid through several full blocks of base-fee growth, so a
        burst can share one quote instead of paying two RPC round trips per transaction.
        """
        now = time.monotonic()
        if self._fee_quote is not None and now - self._fee_quote[0] < FEE_QUOTE_TTL_S:
            return self._fee_quote[1], self._fee_quote[2]
        block = self._rpc(lambda: self.w3.eth.get_block("latest"))
        base = int(block.get("baseFeePerGas", 0) or 0)
        try:
            tip = int(self._rpc(lambda: self.w3.eth.max_priority_fee))
        except Web3RPCError:
            tip = 1_000_000_000
        self._fee_quote = (now, 2 * base + tip, tip)
        return 2 * base + tip, tip

    def _sign_and_broadcast(self, tx: TxParams, *, gas: int, description: str) -> PendingTx:
        account = self.account
        with self._lock:
            max_fee, tip = self._fees()
            for attempt in (1, 2):
                nonce = self._take_nonce(account.address)
                full: TxParams = {
                    **tx,
                    "from": account.address,
                    "chainId": self.chain_id,
                    "nonce": Nonce(nonce),
                    "gas": gas,
                    "maxFeePerGas": Wei(max_fee),
                    "maxPriorityFeePerGas": Wei(tip),
                    "type": 2,
                }
                signed = account.sign_transaction(full)  # type: ignore[arg-type]
                raw = bytes(signed.raw_transaction)
                tx_hash = HexStr("0x" + bytes(signed.hash).hex())
                try:
                    self._broadcast(raw, tx_hash)
                except Web3RPCError as err:
                    text = str(err).lower()
                    if "nonce too low" in text and attempt == 1:
                        # Someone else used this nonce (another process with the same key):
                        # resynchronise from the node and sign again with a fresh nonce.
                        self._next_nonce = None
                        continue
                    self._next_nonce = None
                    # the node's answer (underpriced, insufficient funds, ...): final, typed
                    raise ChainError(f"the node refused {description}: {err}") from err
                except ChainUnavailable:
                    # the bytes may or may not have reached the node: only its pending count
                    # can say which nonce is next
                    self._next_nonce = None
                    raise
                self._next_nonce = nonce + 1
                log.debug("tx sent", extra={"tx": tx_hash, "nonce": nonce, "what": description})
                return PendingTx(tx_hash=tx_hash, nonce=nonce, raw=raw, description=description)
        raise AssertionError("unreachable")  # pragma: no cover

    def _take_nonce(self, address: ChecksumAddress) -> int:
        """The next nonce: read from the node once, then tracked locally.

        A burst then costs one RPC per transaction. Drift is caught where it shows: "nonce too
        low" (another sender used the key) resyncs and re-signs, and a rejected broadcast or a
        receipt timeout drops the local count so the next send asks the node again.
        """
        if self._next_nonce is None:
            self._next_nonce = self._rpc(
                lambda: self.w3.eth.get_transaction_count(address, "pending")
            )
        return self._next_nonce

    def _broadcast(self, raw: bytes, tx_hash: HexStr) -> None:
        """Send the signed bytes; on transport errors re-send the *same* bytes (idempotent).

        Only these bytes are ever repeated (``CHAIN_BROADCAST``): the node either already has
        the transaction (same hash, so "already known" means done) or never saw it.
        """

        def send_once() -> None:
            try:
                self.w3.eth.send_raw_transaction(raw)
            except Web3RPCError as err:
                text = str(err).lower()
                seen = ("already known", "already imported", "nonce too low")
                # An earlier attempt reached the node: if the node knows our hash, we are done.
                if any(s in text for s in seen) and self._known(tx_hash):
                    return
                raise

        retry_call(
            send_once,
            policy=self._broadcast_policy,
            retry_if=_transient,
            give_up=lambda last: ChainUnavailable(
                self.rpc_url, f"broadcast of {tx_hash} failed: {last!r}"
            ),
            sleep=self._sleep,
        )

    def _known(self, tx_hash: HexStr) -> bool:
        try:
            self.w3.eth.get_transaction(tx_hash)
            return True
        except TransactionNotFound:
            return False
        except _RPC_FAILURES:
            return False

    def _explain_failure(
        self, pending: PendingTx, receipt: TxReceipt
    ) -> ContractRevert | TransactionFailed:
        """Replay a failed transaction as a call at its block to recover the revert data."""
        tx = self._rpc(lambda: self.w3.eth.get_transaction(pending.tx_hash))
        call: TxParams = {
            "from": tx["from"],
            "to": tx["to"],
            "data": tx["input"],
            "value": tx["value"],
        }
        # Replay on the state it ran against, then on the state of its own block: a revert that
        # depends on block.number (an epoch window closing between estimate and inclusion) only
        # shows up on one of them.
        for block in (receipt["blockNumber"] - 1, receipt["blockNumber"]):
            try:
                self._rpc(partial(self.w3.eth.call, call, block))
            except (ContractCustomError, ContractLogicError, ContractPanicError) as err:
                return _typed_revert(err)
            except Web3RPCError as err:
                revert = _revert_from_rpc_error(err)
                if revert is not None:
                    return revert
        return TransactionFailed(pending.tx_hash)

    def _rpc(self, fn: Callable[[], T]) -> T:
        """Run one read-only RPC request under ``CHAIN_READ``.

        Transport failures and 429/5xx are retried; every other outcome, a revert above all,
        is the node's answer and propagates at once.

        Raises:
            ChainUnavailable: the node did not answer within the policy's bounds.
        """
        return retry_call(
            fn,
            policy=self._read_policy,
            retry_if=_transient,
            give_up=lambda last: ChainUnavailable(self.rpc_url, repr(last)),
            sleep=self._sleep,
        )


def _revert_bytes(err: ContractLogicError) -> bytes | None:
    data: Any = err.data
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return None


def _typed_revert(err: ContractLogicError) -> ContractRevert:
    data = _revert_bytes(err)
    if data:
        return decode_revert(data)
    return ReasonRevert({"reason": str(err.message or err)})


def _revert_from_rpc_error(err: Web3RPCError) -> ContractRevert | None:
    payload: Any = err.rpc_response or {}
    error: Any = payload.get("error") if isinstance(payload, dict) else None
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        return decode_revert(bytes.fromhex(data[2:]))
    return None
