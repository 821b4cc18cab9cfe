"""Bodies of /tickets/settings: per-type defaults applied when a ticket is created."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.tickets.schemas import Priority, TicketType
from crm_shared.validation import Payload


class TypeDefault(Payload):
    priority: Priority


class SettingsIn(Payload):
    """The types sent replace their defaults; the others keep theirs."""

    type_defaults: dict[TicketType, TypeDefault] = Field(min_length=1)


class SettingsOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    type_defaults: dict[str, dict[str, str]]
