"""free_port() picks ports that outgoing connections cannot take before the service binds."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

import node.chain.anvil as anvil


def test_ports_come_from_below_the_ephemeral_range_and_are_free() -> None:
    first = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {anvil.free_port() for _ in range(20)}
    for port in ports:
        if first > 11_000:
            assert 10_000 <= port < first  # a client socket's local port is never one of these
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # and it is free


def test_without_the_range_file_the_kernel_picks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(anvil, "_EPHEMERAL", tmp_path / "missing")
    port = anvil.free_port()
    assert 0 < port < 65_536
