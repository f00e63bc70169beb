"""The JavaScript UnixFS importer as a fixture (see ``unixfs_js.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.conformance.unixfs_js import Case, JsCids, check_install, run_batch


@pytest.fixture(scope="session")
def js_cids() -> JsCids:
    """CIDs from the JS importer; fails in CI (skips elsewhere) when it is not installed."""
    node = check_install()

    def run(cases: Sequence[Case]) -> list[str]:
        return run_batch(node, cases)

    return run
