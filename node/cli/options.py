"""What every chain-facing command shares: settings, the signer, the chain context, a console.

One place decides how a key is loaded (a keystore with its password from the environment, or on
the devnet only, an account of anvil's public mnemonic) so no command grows its own variant.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from eth_account.signers.local import LocalAccount
from rich.console import Console

from node.chain.anvil import devnet_account
from node.chain.client import ChainClient, load_keystore
from node.chain.deployment import Deployment
from node.errors import ConfigError
from node.settings import NodeSettings
from node.storage.base import BlobStore
from node.storage.local import LocalBlockstore
from node.types import DatasetId

__all__ = [
    "DEVNET_CHAIN_ID",
    "ChainContext",
    "account_index_option",
    "blob_store",
    "chain_context",
    "console",
    "load_account",
    "settings_of",
]

DEVNET_CHAIN_ID = 31337

account_index_option = click.option(
    "--account-index",
    type=click.IntRange(0, 255),
    default=None,
    help="Devnet only: sign with anvil's account N (public keys; refused on other chains). "
    "Elsewhere set DATADAO_KEYSTORE and DATADAO_KEYSTORE_PASSWORD.",
)


def console() -> Console:
    return Console(highlight=False)


def settings_of(ctx: click.Context) -> NodeSettings:
    """The settings built by the root command (or fresh ones in tests that call a subcommand)."""
    obj = ctx.find_root().obj or {}
    settings = obj.get("settings")
    return settings if isinstance(settings, NodeSettings) else NodeSettings()


def load_account(settings: NodeSettings, account_index: int | None) -> LocalAccount | None:
    """The signer: ``--account-index`` (devnet) or the configured keystore, else None."""
    if account_index is not None:
        return devnet_account(account_index)
    if settings.keystore is not None:
        if settings.keystore_password is None:
            raise ConfigError("DATADAO_KEYSTORE is set but DATADAO_KEYSTORE_PASSWORD is not")
        return load_keystore(settings.keystore, settings.keystore_password.get_secret_value())
    return None


@dataclass(frozen=True)
class ChainContext:
    """The deployment and a client for it, built once per command (never at import)."""

    settings: NodeSettings
    deployment: Deployment
    chain: ChainClient

    @property
    def dataset_id(self) -> DatasetId:
        return DatasetId(self.settings.dataset_id)

    def address(self, name: str) -> str:
        return self.deployment.address(name)


def chain_context(
    settings: NodeSettings, account_index: int | None, *, signer: bool
) -> ChainContext:
    """Load the deployment, the signer (required when ``signer``) and connect.

    Raises:
        ConfigError: no key when one is needed, or a devnet key on a non-devnet chain.
        DeploymentNotFound: no deployment file (the devnet is not up).
    """
    deployment = Deployment.load(settings.resolved_deployment_file)
    account = load_account(settings, account_index)
    if signer and account is None:
        raise ConfigError(
            "no signing key: set DATADAO_KEYSTORE and DATADAO_KEYSTORE_PASSWORD "
            "(or, on the devnet, pass --account-index N)"
        )
    chain = ChainClient.connect(
        settings.rpc_url or deployment.rpc_url,
        account,
        timeout_s=settings.rpc_timeout_s,
        confirmations=settings.confirmations,
    )
    if account_index is not None and chain.chain_id != DEVNET_CHAIN_ID:
        raise ConfigError(
            f"--account-index uses anvil's public keys and is refused on chain {chain.chain_id}; "
            "use a keystore (DATADAO_KEYSTORE)"
        )
    return ChainContext(settings=settings, deployment=deployment, chain=chain)


def blob_store(settings: NodeSettings) -> BlobStore:
    """The configured storage: a Kubo daemon when DATADAO_KUBO_API_URL is set, else the on-disk
    blockstore under the data dir (where contributors, validators and renters of one devnet
    meet)."""
    if settings.kubo_api_url is None:
        return LocalBlockstore(settings.home / "blocks")
    from node.storage.kubo import KuboStore  # httpx only when a Kubo daemon is configured

    token = settings.kubo_api_token
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else None
    return KuboStore(settings.kubo_api_url, headers=headers)
