"""The web app on a node whose devnet is not up: every page still answers, and the guard can be
probed without a chain. The services that would send are replaced by spies, so a test can tell
that a refused request changed nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from node.services.node import UiNode
from node.settings import NodeSettings
from node.ui.app import UiConfig
from node.ui.security import UiSecrets

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
RENTER_PASSPHRASE = "renter-passphrase-must-stay-on-the-server"


@dataclass
class Spies:
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def make(self, name: str) -> Any:
        def spy(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args))
            raise AssertionError(f"{name} must not run")

        return spy


@dataclass
class Ui:
    client: TestClient
    config: UiConfig
    home: Path
    spies: Spies

    @property
    def token(self) -> str:
        return self.config.secrets.token

    @property
    def csrf(self) -> str:
        return self.config.secrets.csrf

    def login(self) -> None:
        r = self.client.get(f"/?token={self.token}", follow_redirects=False)
        assert r.status_code == 303


@pytest.fixture
def ui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ui]:
    from node.services import contributor, governance, renter
    from node.ui.app import create_app

    monkeypatch.setenv("DATADAO_CONFIG", str(tmp_path / "no-config.toml"))
    home = tmp_path / "home"
    settings = NodeSettings(home=home, deployment_file=tmp_path / "no-deployment.json")
    spies = Spies()
    for module, names in (
        (contributor, ("claim", "contribute")),
        (governance, ("delegate", "propose_grant", "vote", "queue", "execute")),
        (renter, ("request_access", "fetch")),
    ):
        for name in names:
            monkeypatch.setattr(module, name, spies.make(f"{module.__name__}.{name}"))
    config = UiConfig(
        port=PORT,
        max_upload_bytes=64 << 10,
        renter_passphrase=RENTER_PASSPHRASE,
        secrets=UiSecrets(),
    )
    node = UiNode(settings, None)
    with TestClient(create_app(node, config), base_url=BASE) as client:
        yield Ui(client, config, home, spies)
    node.close()
