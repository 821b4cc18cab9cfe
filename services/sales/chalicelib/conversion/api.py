"""The conversion route: thin; the rules live in logic.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.conversion import logic
from chalicelib.conversion.schemas import ConversionOut, ConvertIn
from crm_shared.auth.roles import WRITERS
from crm_shared.http import ApiRequest, ServiceApi

api = ServiceApi(SERVICE, "conversion")


@api.route("/leads/{lead_id}/convert", "POST", roles=WRITERS, body=ConvertIn,
           response=ConversionOut)
def convert_lead(req: ApiRequest, lead_id: str) -> ConversionOut:
    """Convert a lead: answers the new contact_id, company_id and opportunity_id at once
    (contacts creates them from LeadConverted); a retry with the same body is a no-op."""
    return ConversionOut(**logic.convert(req.principal, req.tenant_id, lead_id,
                                         req.body.model_dump(mode="json")))
