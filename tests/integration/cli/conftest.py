"""The CLI tests share the pipeline tests' node home (fresh data dir on the session devnet)."""

from __future__ import annotations

from tests.integration.pipeline.conftest import export_zip, node_home

__all__ = ["export_zip", "node_home"]
