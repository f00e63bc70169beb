"""Time travel on anvil: mine blocks and move the clock (tests, devnet, demo).

Only dev chains implement these RPC methods; on a real chain every call raises ChainError.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3

from node.errors import ChainError

__all__ = ["TimeTravel"]


class TimeTravel:
    """anvil's ``anvil_mine`` / ``evm_increaseTime`` / snapshots, typed."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3

    def _call(self, method: str, params: list[Any]) -> Any:
        response = self._w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise ChainError(f"{method} failed (not a dev chain?): {response['error']}")
        return response.get("result")

    def mine(self, blocks: int = 1, interval_s: int = 1) -> int:
        """Mine ``blocks`` empty blocks, ``interval_s`` seconds apart; return the new head."""
        if blocks < 1:
            raise ValueError("blocks must be >= 1")
        self._call("anvil_mine", [hex(blocks), hex(interval_s)])
        return int(self._w3.eth.block_number)

    def mine_to(self, block_number: int) -> int:
        """Mine until the head is at least ``block_number``."""
        head = int(self._w3.eth.block_number)
        if block_number > head:
            return self.mine(block_number - head)
        return head

    def increase_time(self, seconds: int) -> None:
        """Advance the clock and mine one block so the new time is visible to contracts."""
        self._call("evm_increaseTime", [seconds])
        self.mine(1)

    def snapshot(self) -> str:
        return str(self._call("evm_snapshot", []))

    def revert(self, snapshot_id: str) -> None:
        if not self._call("evm_revert", [snapshot_id]):
            raise ChainError(f"snapshot {snapshot_id} could not be restored")

    def set_balance(self, address: str, wei: int) -> None:
        self._call("anvil_setBalance", [address, hex(wei)])
