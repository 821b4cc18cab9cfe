"""Scoring routes: the tenant's rules, and a lead's score with its reasons."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.scoring import logic
from chalicelib.scoring.schemas import ScoreOut, ScoringRulesIn, ScoringRulesOut
from crm_shared.auth.roles import ALL_ROLES, MANAGERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag

api = ServiceApi(SERVICE, "scoring")
PATH = "/leads/scoring-rules"


@api.route(PATH, "GET", roles=ALL_ROLES, response=ScoringRulesOut)
def get_scoring_rules(req: ApiRequest) -> Reply:
    found, version = logic.rules(req.tenant_id)
    return Reply(ScoringRulesOut(rules=found, version=version),  # type: ignore[arg-type]
                 headers={"ETag": etag(version)})


@api.route(PATH, "PUT", roles=MANAGERS, body=ScoringRulesIn, response=ScoringRulesOut)
def put_scoring_rules(req: ApiRequest) -> Reply:
    """Replace the rules: each adds its points to leads that meet its condition."""
    saved, version = logic.replace_rules(
        req.tenant_id, [r.model_dump(mode="json", exclude_none=True) for r in req.body.rules],
        req.if_match())
    return Reply(ScoringRulesOut(rules=saved, version=version),  # type: ignore[arg-type]
                 headers={"ETag": etag(version)})


@api.route("/leads/{lead_id}/score", "GET", roles=ALL_ROLES, response=ScoreOut)
def lead_score(req: ApiRequest, lead_id: str) -> ScoreOut:
    """The score, its top factors (rules and behaviour), and the predicted probability to
    win with each attribute's contribution."""
    return ScoreOut(**logic.score_of(req.principal, req.tenant_id, lead_id))
