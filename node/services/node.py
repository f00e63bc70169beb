"""One node's handle for a long-running app: its settings, signer, chain connection and database.

A command connects once and exits; the web app lives for hours and must keep serving its pages
when the chain is down at start-up (the devnet not up yet) or goes away. So the connection is
made on first use and kept once it succeeded, through :func:`node.wiring.connect` like every
command (the devnet's public keys are refused off the devnet there).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from node.db.engine import open_database
from node.errors import ConfigError
from node.settings import NodeSettings
from node.storage.base import BlobStore
from node.types import DatasetId
from node.wiring import ChainContext, blob_store, connect

__all__ = ["UiNode"]

_NO_KEY = (
    "this node has no signing key: start the app with DATADAO_KEYSTORE and "
    "DATADAO_KEYSTORE_PASSWORD set (or, on the devnet, --account-index N)"
)


@dataclass
class UiNode:
    """The node the app acts for. Thread-safe: requests run in a thread pool."""

    settings: NodeSettings
    account_index: int | None = None
    _ctx: ChainContext | None = field(default=None, init=False, repr=False)
    _engine: Engine | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def home(self) -> Path:
        return self.settings.home

    @property
    def dataset_id(self) -> DatasetId:
        return DatasetId(self.settings.dataset_id)

    def chain(self) -> ChainContext:
        """The chain connection (with the signer when one is configured), made once.

        Raises:
            ConfigError, DeploymentNotFound, ChainUnavailable: as :func:`node.wiring.connect`.
        """
        with self._lock:
            if self._ctx is None:
                self._ctx = connect(self.settings, self.account_index, signer=False)
            return self._ctx

    def signer(self) -> ChainContext:
        """:meth:`chain`, refusing to go on without a key (every action that sends)."""
        ctx = self.chain()
        if not ctx.chain.has_signer:
            raise ConfigError(_NO_KEY)
        return ctx

    def address(self) -> str | None:
        """The signer's address, or None without a key (read-only pages still work)."""
        ctx = self.chain()
        return ctx.chain.address if ctx.chain.has_signer else None

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = open_database(self.settings.resolved_database_url)
            return self._engine

    def session(self) -> Session:
        return Session(self.engine(), expire_on_commit=False)

    def store(self) -> BlobStore:
        return blob_store(self.settings)

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
