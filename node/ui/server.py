"""Serving the app: the bind check, a blocking server for ``datadao ui`` and a background one
for launchers (the demo's ``--keep-running``, the browser tests)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import uvicorn

from node.errors import ConfigError
from node.services.node import UiNode
from node.ui.app import UiConfig, create_app
from node.ui.security import is_loopback

__all__ = ["RunningApp", "check_bind", "exposure_warning", "serve", "start_in_thread"]


def exposure_warning(host: str, port: int) -> str:
    return (
        f"WARNING: serving on {host}:{port}, which is not loopback. Anyone who can reach it and "
        "has the link can contribute, claim, vote and rent with this node's key, and read its "
        "contributions and validator logs. It is plain HTTP: on the network the token and every "
        "page can be read and replayed. Prefer 127.0.0.1 with an SSH tunnel, or a TLS proxy."
    )


def check_bind(host: str, *, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless the operator said so explicitly.

    Raises:
        ConfigError: ``host`` is not loopback and ``allow_remote`` is false.
    """
    if not is_loopback(host) and not allow_remote:
        raise ConfigError(
            f"--host {host} is not a loopback address: the app acts with this node's key, so it "
            "listens on 127.0.0.1 only unless you also pass --allow-remote (read what it exposes "
            "in `datadao ui --help`)"
        )


def serve(node: UiNode, config: UiConfig, *, allow_remote: bool = False) -> None:
    """Serve until interrupted (the caller prints ``config.url`` first)."""
    check_bind(config.host, allow_remote=allow_remote)
    app = create_app(node, config)
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


@dataclass
class RunningApp:
    config: UiConfig
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.config.url

    def stop(self, timeout_s: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout_s)


def start_in_thread(node: UiNode, config: UiConfig, *, timeout_s: float = 15.0) -> RunningApp:
    """Serve on loopback in a daemon thread; returns once it accepts connections.

    Raises:
        ConfigError: not a loopback address, or the server did not start in time.
    """
    check_bind(config.host, allow_remote=False)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(node, config),
            host=config.host,
            port=config.port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            server_header=False,
        )
    )
    thread = threading.Thread(target=server.run, name="datadao-ui", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConfigError(f"the web app did not start on {config.host}:{config.port}")
        time.sleep(0.02)
    return RunningApp(config, server, thread)
