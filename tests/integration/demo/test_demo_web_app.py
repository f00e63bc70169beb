"""``datadao demo --keep-running`` prints the web app's URL: the app it starts answers with this
run's token only, and shows the contributor's node."""

from __future__ import annotations

import httpx
import pytest

from node.demo.run import start_web_app
from tests.integration.conftest import Devnet

pytestmark = pytest.mark.integration


def test_the_demo_web_app_serves_the_contributor_with_its_token(devnet: Devnet) -> None:
    entry = devnet.deployment.extra["contributors"][0]
    url = start_web_app(devnet.home, "alice", int(entry["account_index"]))
    assert url.startswith("http://127.0.0.1:")
    assert "?token=" in url
    base = url.split("?", 1)[0]
    with httpx.Client(follow_redirects=True, trust_env=False, timeout=30) as client:
        assert client.get(base).status_code == 403  # no token: nothing
        page = client.get(url)
    assert page.status_code == 200
    assert "datadao" in page.text
    assert entry["address"][2:10].lower() in page.text.lower()
