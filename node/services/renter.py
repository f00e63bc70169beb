"""A renter's work: request access with a fee, follow the request, fetch and decrypt.

The steps of ``datadao renter request | status | fetch``: the session key is saved encrypted
(0600) *before* the request is sent, its public half is the request's ``renterKey``, and fetch
writes the decrypted dataset to ``<home>/renter/datasets/request-<id>/`` (resumable: files
already there are skipped). The session keystore's passphrase is the app's
(``DATADAO_RENTER_PASSPHRASE`` or the terminal prompt when ``datadao ui`` starts): it never
comes from or goes to the browser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.custody.renter import FetchReport, Renter, SessionVault
from node.custody.session import SessionKey
from node.errors import ConfigError, InputError
from node.services.node import UiNode
from node.types import DatasetId, ReqId

__all__ = [
    "RequestInfo",
    "dataset_dir",
    "fetch",
    "my_requests",
    "request_access",
]

_REQUEST_FILE = re.compile(r"(\d+)\.json")
_CANNOT_RENT = (
    "renting needs the session keystore's passphrase: start `datadao ui` with "
    "DATADAO_RENTER_PASSPHRASE set (or type it at the prompt when it starts)"
)


def _renter(node: UiNode) -> Renter:
    ctx = node.signer()
    return Renter(chain=ctx.chain, contracts=ctx.contracts, store=node.store())


def _vault(node: UiNode) -> SessionVault:
    return SessionVault(node.home / "renter")


def dataset_dir(node: UiNode, req_id: int) -> Path:
    """Where a request's decrypted dataset goes."""
    return node.home / "renter" / "datasets" / f"request-{int(req_id)}"


def request_access(
    node: UiNode,
    *,
    passphrase: str | None,
    from_epoch: int,
    to_epoch: int | None,
    expiry_s: int,
    fee_wei: int,
    dataset_id: int | None = None,
) -> int:
    """Escrow ``fee_wei`` and ask for access to epochs ``from_epoch..to_epoch`` (default: the
    current one) for ``expiry_s`` seconds of chain time; returns the request id."""
    if not passphrase:
        raise ConfigError(_CANNOT_RENT)
    if fee_wei <= 0 or expiry_s <= 0 or from_epoch < 0:
        raise InputError("the fee and the access lifetime must be positive")
    r = _renter(node)
    dataset = DatasetId(dataset_id or node.settings.dataset_id)
    last = to_epoch if to_epoch is not None else int(r.config.currentEpoch(dataset))
    if last < from_epoch:
        raise InputError(f"the last epoch ({last}) is before the first ({from_epoch})")
    session = SessionKey.generate()
    vault = _vault(node)
    path = vault.save(session, passphrase=passphrase)
    req_id = r.request_access(
        dataset_id=dataset,
        session=session,
        from_epoch=from_epoch,
        to_epoch=last,
        expiry=r.chain_now() + expiry_s,
        fee=fee_wei,
    )
    vault.record(
        req_id,
        {
            "req_id": req_id,
            "dataset_id": dataset,
            "from_epoch": from_epoch,
            "to_epoch": last,
            "renter": r.account.address,
            "renter_key": "0x" + session.public_bytes.hex(),
            "session_keystore": str(path),
        },
    )
    return int(req_id)


@dataclass(frozen=True)
class RequestInfo:
    req_id: int
    status: str
    renter: str
    dataset_id: int
    from_epoch: int
    to_epoch: int
    fee: int
    expiry: int
    granted: bool
    files_in_scope: int | None
    out_dir: Path
    fetched: bool


def _recorded(node: UiNode) -> list[int]:
    root = node.home / "renter" / "requests"
    if not root.is_dir():
        return []
    ids = []
    for p in root.iterdir():
        m = _REQUEST_FILE.fullmatch(p.name)
        if m is not None:
            ids.append(int(m.group(1)))
    return sorted(ids, reverse=True)


def my_requests(node: UiNode) -> list[RequestInfo]:
    """The requests this node made (its records under ``<home>/renter/requests``), with what
    the chain says about each now."""
    ctx = node.chain()
    escrow, access = ctx.contracts.escrow, ctx.contracts.access
    count = escrow.requestCount()
    out = []
    for req_id in _recorded(node):
        if not 1 <= req_id <= count:
            continue  # recorded on another chain (a devnet that was reset)
        req = escrow.request(ReqId(req_id))
        granted = access.isGranted(ReqId(req_id))
        scope = None
        if granted:
            scope = len(
                Renter(chain=ctx.chain, contracts=ctx.contracts, store=node.store()).files_in_scope(
                    req_id
                )
            )
        folder = dataset_dir(node, req_id)
        out.append(
            RequestInfo(
                req_id=req_id,
                status=req.status.name,
                renter=req.renter,
                dataset_id=req.dataset_id,
                from_epoch=req.from_epoch,
                to_epoch=req.to_epoch,
                fee=req.fee,
                expiry=req.expiry,
                granted=granted,
                files_in_scope=scope,
                out_dir=folder,
                fetched=(folder / "manifest.json").is_file(),
            )
        )
    return out


def fetch(
    node: UiNode,
    req_id: int,
    *,
    passphrase: str | None,
    on_total: Callable[[int], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FetchReport:
    """Gather shares, decrypt every file in scope and write the dataset (resumable)."""
    if not passphrase:
        raise ConfigError(_CANNOT_RENT)
    if int(req_id) not in _recorded(node):
        raise InputError(f"request #{req_id} was not made from this node")
    r = _renter(node)
    access_key = r.request(req_id).renter_key
    session = _vault(node).load(bytes(access_key), passphrase=passphrase)

    def each(_file: Any, done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)

    return r.fetch(
        req_id, dataset_dir(node, req_id), session=session, on_total=on_total, progress=each
    )


def manifest(node: UiNode, req_id: int) -> dict[str, Any] | None:
    path = dataset_dir(node, req_id) / "manifest.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None
