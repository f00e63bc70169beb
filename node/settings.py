"""Node settings: typed, from `DATADAO_*` environment variables and an optional TOML file.

Built once at start-up by the CLI or the API factory, never at import. The data directory holds
everything a node writes (deployment files, keystores, blockstore, SQLite) and moves with
``DATADAO_HOME``, so two devnets or two nodes can run side by side.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["NodeSettings", "default_home"]


def default_home() -> Path:
    """``$DATADAO_HOME`` or ``~/.datadao``."""
    env = os.environ.get("DATADAO_HOME")
    return Path(env).expanduser() if env else Path.home() / ".datadao"


class NodeSettings(BaseSettings):
    """Everything a node needs to know about its environment.

    Secrets (``keystore_password``, ``kubo_api_token``, ``pinning_token``) are ``SecretStr`` so
    they never show up in reprs or logs, and they are read from the environment or the TOML file,
    never from CLI flags.
    """

    model_config = SettingsConfigDict(
        env_prefix="DATADAO_",
        extra="ignore",
        frozen=True,
    )

    home: Path = Field(default_factory=default_home, description="Data directory.")
    rpc_url: str | None = Field(
        default=None,
        description="EVM JSON-RPC URL; default: the devnet's, from its deployment file.",
    )
    deployment_file: Path | None = Field(
        default=None, description="Addresses JSON; default: <home>/devnet/deployment.json."
    )
    confirmations: int = Field(default=1, ge=1, le=64)
    rpc_timeout_s: float = Field(default=30.0, gt=0, le=600)
    keystore: Path | None = Field(default=None, description="eth-account keystore v3 file.")
    keystore_password: SecretStr | None = None
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data dir."
    )
    kubo_api_url: str | None = Field(
        default=None, description="Kubo RPC base URL; default: the on-disk blockstore."
    )
    kubo_api_token: SecretStr | None = None
    pinning_endpoint: str | None = Field(
        default=None,
        description="IPFS Pinning Service API base URL (e.g. https://api.pinata.cloud/psa) for "
        "`datadao storage pin`; default: none.",
    )
    pinning_token: SecretStr | None = Field(
        default=None, description="Bearer token of the pinning service (environment or TOML)."
    )
    dataset_id: int = Field(default=1, ge=1)

    @field_validator("rpc_url", "kubo_api_url", "pinning_endpoint")
    @classmethod
    def _http_only(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: explicit arguments > environment > ``<home>/config.toml``."""
        toml_path = Path(os.environ.get("DATADAO_CONFIG", default_home() / "config.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @property
    def devnet_dir(self) -> Path:
        return self.home / "devnet"

    @property
    def resolved_deployment_file(self) -> Path:
        return self.deployment_file or self.devnet_dir / "deployment.json"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'node.sqlite'}"

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict that is safe to log."""
        return self.model_dump(mode="json")
