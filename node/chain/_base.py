"""Plumbing shared by the typed contract wrappers: reads via call(), writes via send()."""

from __future__ import annotations

from typing import Any, ClassVar

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import EventData, TxReceipt

from node.chain.abi import load_abi
from node.chain.client import ChainClient

__all__ = ["ContractWrapper"]


class ContractWrapper:
    """Base of every wrapper: holds the client, the address and the web3 contract object."""

    NAME: ClassVar[str]

    def __init__(self, chain: ChainClient, address: str) -> None:
        self.chain = chain
        self.address: ChecksumAddress = Web3.to_checksum_address(address)
        self.contract: Contract = chain.contract(self.address, load_abi(self.NAME))

    def _call(self, fn: str, *args: Any) -> Any:
        return self.chain.call(self.contract.functions[fn](*args))

    def _send(self, fn: str, *args: Any, value: int = 0) -> TxReceipt:
        return self.chain.send(
            self.contract.functions[fn](*args), value=value, description=f"{self.NAME}.{fn}"
        )

    def _logs(self, receipt: TxReceipt, event: str) -> list[EventData]:
        """Decoded ``event`` logs emitted by this contract in ``receipt``."""
        ev = self.contract.events[event]()
        decoded = ev.process_receipt(receipt, errors=DISCARD)
        return [d for d in decoded if d["address"] == self.address]

    def with_client(self, chain: ChainClient) -> Any:
        """The same wrapper acting through another client (another signer)."""
        return type(self)(chain, self.address)
