"""Request and response bodies of POST /leads/{lead_id}/convert."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.leads.schemas import LeadOut
from crm_shared.validation import Payload


class ConvertIn(Payload):
    """`opportunity` takes the fields of POST /opportunities (lead_id and source are set
    from the lead); `create_company` makes a company of the lead's company_name."""

    opportunity: dict[str, Any] | None = None
    create_company: bool = True


class ConversionOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    lead_id: str
    contact_id: str
    company_id: str | None
    opportunity_id: str | None
    lead: LeadOut
