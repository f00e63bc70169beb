"""The web app on a real devnet, driven by Debian's headless Chromium through Playwright.

The browser is the system's (``/usr/bin/chromium``, or ``$DATADAO_CHROMIUM``), launched by its
executable path: nothing is downloaded. Without it (or without the ``playwright`` package)
these tests skip on a workstation and FAIL under ``CI=true``, so CI cannot go green by not
running them.

One app per module, on a free 127.0.0.1 port in a uvicorn thread, acting as the devnet's first
contributor (anvil account 5) from a fresh data dir pointed at the session devnet. The chain is
rolled back when the module ends, so the integration tests that share the devnet see it as
they left it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from node.chain.anvil import devnet_account, free_port
from node.services.node import UiNode
from node.settings import NodeSettings
from node.ui.app import UiConfig
from node.ui.server import RunningApp, start_in_thread
from tests.integration.conftest import Devnet, devnet  # noqa: F401  (the session devnet fixture)

UI_ACCOUNT = 5
RENTER_PASSPHRASE = "browser-test-renter-passphrase"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    explicit = os.environ.get("DATADAO_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(why: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run in CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    path = chromium_path()
    if path is None:
        _unavailable("no chromium executable (apt-get install -y chromium, or $DATADAO_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@dataclass
class App:
    running: RunningApp
    node: UiNode
    home: Path
    devnet: Devnet

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]

    @property
    def address(self) -> str:
        return devnet_account(UI_ACCOUNT).address


@pytest.fixture(scope="module")
def app(
    devnet: Devnet,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch_module: pytest.MonkeyPatch,
) -> Iterator[App]:
    snap = devnet.time.snapshot()
    home = tmp_path_factory.mktemp("ui-home")
    monkeypatch_module.setenv("DATADAO_CONFIG", str(home / "no-config.toml"))
    for name in ("DATADAO_DATABASE_URL", "DATADAO_KUBO_API_URL", "DATADAO_RPC_URL"):
        monkeypatch_module.delenv(name, raising=False)
    settings = NodeSettings(home=home, deployment_file=devnet.home / "devnet" / "deployment.json")
    node = UiNode(settings, UI_ACCOUNT)
    config = UiConfig(port=free_port(), renter_passphrase=RENTER_PASSPHRASE)
    running = start_in_thread(node, config)
    try:
        yield App(running, node, home, devnet)
    finally:
        running.stop()
        node.close()
        devnet.revert(snap)


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    mp = pytest.MonkeyPatch()
    try:
        yield mp
    finally:
        mp.undo()


@pytest.fixture
def page(browser: Any, app: App) -> Iterator[Any]:
    """A fresh browser context that has opened the token link (so it holds the cookie)."""
    context = browser.new_context(viewport=DESKTOP)
    p = context.new_page()
    p.set_default_timeout(60_000)
    p.goto(app.url)
    try:
        yield p
    finally:
        context.close()


def shoot(page: Any, name: str, *, phone: bool = False) -> None:
    """Save ``docs/screenshots/<name>.png`` (the README shows them), and the phone-width one."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if phone:
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} scrolls sideways at a phone's width ({width}px)"
        page.set_viewport_size(size)
