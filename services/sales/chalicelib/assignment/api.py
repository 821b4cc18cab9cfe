"""Assignment rule routes: read, replace the ordered list, and dry-run it on a sample lead."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.assignment import logic
from chalicelib.assignment.schemas import RulesIn, RulesOut, Simulation
from chalicelib.leads.schemas import LeadFields
from crm_shared.auth.roles import ALL_ROLES, MANAGERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag

api = ServiceApi(SERVICE, "assignment")
PATH = "/leads/assignment-rules"


@api.route(PATH, "GET", roles=ALL_ROLES, response=RulesOut)
def get_assignment_rules(req: ApiRequest) -> Reply:
    """The ordered rules; the first whose condition a new lead meets assigns it."""
    found, version = logic.rules(req.tenant_id)
    return Reply(RulesOut(rules=found, version=version), headers={"ETag": etag(version)})  # type: ignore[arg-type]


@api.route(PATH, "PUT", roles=MANAGERS, body=RulesIn, response=RulesOut)
def put_assignment_rules(req: ApiRequest) -> Reply:
    """Replace the ordered list (If-Match honoured)."""
    saved, version = logic.replace_rules(
        req.tenant_id, [r.model_dump(mode="json", exclude_none=True) for r in req.body.rules],
        req.if_match())
    return Reply(RulesOut(rules=saved, version=version), headers={"ETag": etag(version)})  # type: ignore[arg-type]


@api.route(f"{PATH}/simulate", "POST", roles=ALL_ROLES, body=LeadFields, response=Simulation)
def simulate_assignment(req: ApiRequest) -> Simulation:
    """Which rule a lead like this would meet, who would get it and why; writes nothing."""
    return Simulation(**logic.simulate(req.tenant_id,
                                       req.body.model_dump(mode="json", exclude_none=True)))
