"""Service settings, validated once at start-up so a bad deploy fails loudly, not per request."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class Settings(BaseModel):
    """Everything a service reads from its environment (see docs/conventions.md)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")
    region: str = "us-east-1"
    event_bus_name: str = ""
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    jwks_url: str = ""
    aws_endpoint_url: str | None = None
    signing_secret: str = Field(default="", repr=False)
    operator_key: str | None = Field(default=None, repr=False)

    @field_validator("aws_endpoint_url", "operator_key", mode="before")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    def model_post_init(self, __context: object) -> None:
        defaults = {
            "event_bus_name": f"crm-{self.stage}",
            "jwks_url": f"{self.cognito_issuer}/.well-known/jwks.json",
        }
        for name, value in defaults.items():
            if not getattr(self, name):
                object.__setattr__(self, name, value)
        if not self.signing_secret:
            if self.stage in {"dev", "prod"}:
                raise ValueError("CRM_SIGNING_SECRET is required outside local and test stages")
            object.__setattr__(self, "signing_secret", f"insecure-{self.stage}-signing-secret")

    def table_name(self, service: str) -> str:
        """Each service owns exactly one table, named by stage and service."""
        return f"crm-{self.stage}-{service}"

    @property
    def cognito_issuer(self) -> str:
        """The `iss` Cognito puts in its tokens (moto uses the cloud URL too)."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def is_local(self) -> bool:
        return self.stage in {"local", "test"}


def _from_environ() -> dict[str, str | None]:
    env = os.environ
    return {
        "stage": env.get("CRM_STAGE", "local"),
        "region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        "event_bus_name": env.get("CRM_EVENT_BUS_NAME", ""),
        "user_pool_id": env.get("CRM_USER_POOL_ID", ""),
        "user_pool_client_id": env.get("CRM_USER_POOL_CLIENT_ID", ""),
        "jwks_url": env.get("CRM_JWKS_URL", ""),
        "aws_endpoint_url": env.get("CRM_AWS_ENDPOINT_URL"),
        "signing_secret": env.get("CRM_SIGNING_SECRET", ""),
        "operator_key": env.get("CRM_OPERATOR_KEY"),
    }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; raises a readable error naming each bad variable."""
    try:
        return Settings.model_validate(_from_environ())
    except ValidationError as exc:
        names = ", ".join(f"CRM_{'.'.join(map(str, e['loc'])).upper()}" for e in exc.errors())
        raise RuntimeError(f"invalid service settings: {names}: {exc}") from exc
