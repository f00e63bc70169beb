"""The one place that turns settings into a signer, a chain connection, contracts and storage.

Every entry point (the contributor's and renter's commands, governance, the validator's
commands, its scoring daemon and its share service, the web app) connects through here, so they
all check the same things the same way: the RPC's own chain id (not the deployment file's)
before a public devnet key may sign, the configured RPC timeout and confirmations, and Kubo with
its token when one is configured. Nothing here is built at import; callers pass settings in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from node.chain.anvil import DEVNET_CHAIN_ID, devnet_account
from node.chain.client import ChainClient, load_keystore
from node.chain.contracts import Contracts
from node.chain.deployment import Deployment
from node.errors import ConfigError
from node.settings import NodeSettings
from node.storage.base import BlobStore
from node.storage.local import LocalBlockstore
from node.types import DatasetId

if TYPE_CHECKING:
    from node.storage.pinning import PinningClient

__all__ = [
    "ChainContext",
    "ValidatorSettings",
    "blob_store",
    "connect",
    "load_account",
    "pinning_client",
    "require_account",
    "validator_dir",
]

_NO_KEY = (
    "no signing key: set DATADAO_KEYSTORE and DATADAO_KEYSTORE_PASSWORD "
    "(or, on the devnet, pass --account-index N)"
)


def load_account(settings: NodeSettings, account_index: int | None) -> LocalAccount | None:
    """The signer: anvil's account ``account_index`` (devnet; checked by :func:`connect`) or the
    configured keystore, else None.

    Raises:
        ConfigError: a keystore without its password.
    """
    if account_index is not None:
        return devnet_account(account_index)
    if settings.keystore is not None:
        if settings.keystore_password is None:
            raise ConfigError("DATADAO_KEYSTORE is set but DATADAO_KEYSTORE_PASSWORD is not")
        return load_keystore(settings.keystore, settings.keystore_password.get_secret_value())
    return None


def require_account(settings: NodeSettings, account_index: int | None) -> LocalAccount:
    """:func:`load_account`, refusing to go on without a key."""
    account = load_account(settings, account_index)
    if account is None:
        raise ConfigError(_NO_KEY)
    return account


@dataclass(frozen=True)
class ChainContext:
    """The deployment, a client for it and its contracts, built once per command or service."""

    settings: NodeSettings
    deployment: Deployment
    chain: ChainClient
    contracts: Contracts

    @property
    def dataset_id(self) -> DatasetId:
        return DatasetId(self.settings.dataset_id)

    def address(self, name: str) -> ChecksumAddress:
        return self.deployment.address(name)


def connect(
    settings: NodeSettings,
    account_index: int | None = None,
    *,
    signer: bool,
    account: LocalAccount | None = None,
) -> ChainContext:
    """Load the deployment and the signer (required when ``signer``), then connect.

    ``account`` overrides the configured key (launchers that already hold one). The devnet's
    public keys are refused unless the RPC itself answers with the devnet's chain id.

    Raises:
        ConfigError: no key when one is needed, or a devnet key on a non-devnet chain.
        DeploymentNotFound: no deployment file (the devnet is not up).
    """
    deployment = Deployment.load(settings.resolved_deployment_file)
    if account is None:
        account = load_account(settings, account_index)
    if signer and account is None:
        raise ConfigError(_NO_KEY)
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
    return ChainContext(
        settings=settings,
        deployment=deployment,
        chain=chain,
        contracts=Contracts.of(chain, deployment),
    )


def blob_store(settings: NodeSettings) -> BlobStore:
    """The configured storage: a Kubo daemon (with its token) when ``kubo_api_url`` is set, else
    the on-disk blockstore under the data dir (where the contributors, validators and renters of
    one devnet meet)."""
    if settings.kubo_api_url is None:
        return LocalBlockstore(settings.home / "blocks")
    from node.storage.kubo import KuboStore  # httpx only when a Kubo daemon is configured

    token = settings.kubo_api_token
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else None
    return KuboStore(settings.kubo_api_url, headers=headers)


def pinning_client(settings: NodeSettings) -> PinningClient:
    """A client of the configured remote pinning service (IPFS Pinning Service API), with the
    same RPC timeout as every other remote call. The token comes only from the environment or
    ``config.toml`` (``DATADAO_PINNING_TOKEN``), never a flag.

    Raises:
        ConfigError: no endpoint or no token configured.
    """
    if settings.pinning_endpoint is None:
        raise ConfigError(
            "no pinning service: set DATADAO_PINNING_ENDPOINT (an IPFS Pinning Service API base "
            "URL, e.g. https://api.pinata.cloud/psa) and DATADAO_PINNING_TOKEN"
        )
    if settings.pinning_token is None:
        raise ConfigError("DATADAO_PINNING_ENDPOINT is set but DATADAO_PINNING_TOKEN is not")
    from node.storage.pinning import PinningClient  # httpx only when a service is configured

    return PinningClient(
        settings.pinning_endpoint,
        settings.pinning_token.get_secret_value(),
        timeout_s=settings.rpc_timeout_s,
    )


def validator_dir(home: Path, address: str) -> Path:
    """``<home>/validator/<address>``: one validator's journal, labels, audit log and logs."""
    return home / "validator" / address


class ValidatorSettings(BaseSettings):
    """What only a validator reads (``DATADAO_VALIDATOR_*``), beside its :class:`NodeSettings`.

    The passphrase of the Ferveo keystore is a secret: environment or nothing (the CLI prompts),
    never a flag.
    """

    model_config = SettingsConfigDict(env_prefix="DATADAO_VALIDATOR_", extra="ignore", frozen=True)

    passphrase: SecretStr | None = None
    key_dir: Path | None = Field(
        default=None,
        description="Ferveo keystore dir; default: the deployment's record, else "
        "<home>/devnet/validators/<address>.",
    )

    def ferveo_key_dir(self, home: Path, deployment: Deployment, address: str) -> Path:
        """Where this validator's Ferveo keystore lives: the explicit setting, else what the
        deployment recorded for it (the devnet writes one per validator), else the default."""
        if self.key_dir is not None:
            return self.key_dir
        for v in deployment.extra.get("validators", []):
            if str(v.get("address", "")).lower() == address.lower() and v.get("key_dir"):
                return Path(v["key_dir"])
        return home / "devnet" / "validators" / address
