"""Scoring use cases: rules, the live score of a lead, behaviour from marketing events,
LeadScored when a score moves, and learning from won and lost deals."""

from __future__ import annotations

from typing import Any

from chalicelib.leads import logic as leads
from chalicelib.leads import repository as lead_store
from chalicelib.leads.schemas import LeadOut
from chalicelib.scoring import domain, repository
from crm_shared.context import Principal
from crm_shared.errors import PreconditionFailed, ValidationFailed
from crm_shared.events.sales_events import LeadScored
from crm_shared.ids import new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

LEAD_FIELDS = frozenset(LeadOut.model_fields)


def rules(tenant_id: str) -> tuple[list[dict[str, Any]], int]:
    item = repository.rules_item(tenant_id)
    return list(item.rules or []), int(item.version or 0)


def replace_rules(tenant_id: str, payload: list[dict[str, Any]],
                  if_match: int | None) -> tuple[list[dict[str, Any]], int]:
    item = repository.rules_item(tenant_id, consistent=True)
    if if_match is not None and if_match != int(item.version or 0):
        raise PreconditionFailed("the rules changed since you read them",
                                 code="version_mismatch")
    for index, rule in enumerate(payload):
        rule["rule_id"] = rule.get("rule_id") or new_id("scr")
        for g, group in enumerate(rule["filter_groups"]):
            for f, condition in enumerate(group["filters"]):
                if condition["field"].split(".")[0] not in LEAD_FIELDS:
                    raise ValidationFailed.for_field(
                        f"rules[{index}].filter_groups[{g}].filters[{f}].field",
                        f"{condition['field']!r} is not a lead field")
    item.rules = payload
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    uow.commit()
    return payload, int(item.version or 0)


def evaluate(tenant_id: str, lead: dict[str, Any],
             behaviour: dict[str, int]) -> tuple[int, list[dict[str, Any]]]:
    found, _ = rules(tenant_id)
    return domain.score(domain.rule_factors(found, lead) + domain.behaviour_factors(behaviour))


def score_of(principal: Principal, tenant_id: str, lead_id: str) -> dict[str, Any]:
    """GET /leads/{id}/score: rules and behaviour now, and the tenant model's probability."""
    lead = leads.record(leads.get(principal, tenant_id, lead_id))
    stored = repository.score_item(tenant_id, lead_id)
    total, factors = evaluate(tenant_id, lead, dict(stored.behaviour or {}))
    probability, why = domain.predict(repository.model(tenant_id), lead)
    return {"lead_id": lead_id, "score": total, "factors": factors,
            "probability": probability, "probability_factors": why}


def rescore(uow: UnitOfWork, tenant_id: str, lead: dict[str, Any],
            engagement: str | None = None) -> None:
    """Stage the new score (and the engagement that moved it); LeadScored if it moved."""
    item = repository.score_item(tenant_id, lead["lead_id"])
    behaviour = dict(item.behaviour or {})
    if engagement:
        behaviour[engagement] = int(behaviour.get(engagement, 0)) + 1
    total, factors = evaluate(tenant_id, lead, behaviour)
    previous = None if item.score is None else int(item.score)
    if total == previous and not engagement:
        return
    item.behaviour, item.score = behaviour, total
    uow.put(item, label="lead_score")
    if total != previous:
        uow.emit(LeadScored(lead_id=lead["lead_id"], score=total, previous_score=previous,
                            factors=factors), tenant_id)


def engaged(uow: UnitOfWork, tenant_id: str, kind: str, lead_id: str | None,
            email: str | None) -> None:
    """A marketing engagement: the lead by id, or else the open lead holding the email."""
    if not lead_id and email:
        lead_id = lead_store.claimant(tenant_id, email.strip().lower())
    item = lead_store.get(tenant_id, lead_id, consistent=True) if lead_id else None
    if item is not None:
        rescore(uow, tenant_id, leads.record(item), kind)


def learn(uow: UnitOfWork, tenant_id: str, opportunity: dict[str, Any], outcome: str) -> None:
    """A won or lost deal counts for its lead's attributes (or the deal's source alone)."""
    lead_id = opportunity.get("lead_id")
    item = lead_store.get(tenant_id, str(lead_id)) if lead_id else None
    attributes = domain.attributes(leads.record(item)) if item else \
        {"source": str(opportunity["source"]).lower()} if opportunity.get("source") else {}
    repository.count_outcome(uow, tenant_id, attributes, outcome)


def train_due(limit: int = 100) -> int:
    """Scheduled: turn each changed tenant's counts into its model (Laplace smoothed)."""
    trained = 0
    for due in repository.due_tenants(limit):
        tenant_id = due.PK.split("#")[1]
        try:
            repository.save_model(tenant_id, domain.train(repository.counts(tenant_id)), due)
            trained += 1
        except TransactionConflict:
            continue  # counted meanwhile: still due, the next run trains again
    return trained
