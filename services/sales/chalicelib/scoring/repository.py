"""The only code that knows scoring keys.

- rules `T#<t>#SCORING` / `RULES`; a lead's score `T#<t>#LEAD#<lea>` / `SCORE` (beside it);
- outcome counts `T#<t>#NB_COUNTS` / `<attribute>#<value>` and `_total`, the total on the
  DUE index for `train_lead_models` while the counts changed since the last training;
- the tenant's model `T#<t>#NB_MODEL` / `MODEL` (one GetItem to score a lead).
"""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.leads.repository import lead_pk
from chalicelib.scoring.models import LeadScoreItem, ModelItem, OutcomeCountItem, ScoringRulesItem
from crm_shared import clock
from crm_shared.dynamo import tenant_key
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork

JOB = "train_lead_models"
TOTAL = "_total"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def rules_item(tenant_id: str, consistent: bool = False) -> ScoringRulesItem:
    try:
        return ScoringRulesItem.get(tenant_key(tenant_id, "SCORING"), "RULES",
                                    consistent_read=consistent)
    except ScoringRulesItem.DoesNotExist:
        return ScoringRulesItem(PK=tenant_key(tenant_id, "SCORING"), SK="RULES", rules=[])


def score_item(tenant_id: str, lead_id: str) -> LeadScoreItem:
    try:
        return LeadScoreItem.get(lead_pk(tenant_id, lead_id), "SCORE", consistent_read=True)
    except LeadScoreItem.DoesNotExist:
        return LeadScoreItem(PK=lead_pk(tenant_id, lead_id), SK="SCORE", behaviour={})


def count_outcome(uow: UnitOfWork, tenant_id: str, attributes: dict[str, str],
                  outcome: str) -> None:
    """Add one won or lost deal to each attribute value's count, and mark the tenant due."""
    pk = tenant_key(tenant_id, "NB_COUNTS")
    attr = OutcomeCountItem.won if outcome == "won" else OutcomeCountItem.lost
    for key in [TOTAL, *(f"{a}#{v}" for a, v in sorted(attributes.items()))]:
        actions = [attr.add(1)]
        if key == TOTAL:
            due = due_fields(JOB, clock.now(), tenant_id, "model")
            actions += [OutcomeCountItem.DUEPK.set(due["DUEPK"]),
                        OutcomeCountItem.DUESK.set(due["DUESK"])]
        uow.update(OutcomeCountItem(PK=pk, SK=key), actions, label="nb_count")


def counts(tenant_id: str) -> dict[str, dict[str, int]]:
    """Every count of the tenant: one Query (a few dozen attribute values)."""
    return {i.SK: {"won": int(i.won or 0), "lost": int(i.lost or 0)}
            for i in OutcomeCountItem.query(tenant_key(tenant_id, "NB_COUNTS"),
                                            consistent_read=True)}


def due_tenants(limit: int = 100) -> list[OutcomeCountItem]:
    return due_items(OutcomeCountItem, JOB, limit)


def save_model(tenant_id: str, model: dict[str, object], trained: OutcomeCountItem) -> None:
    """Store the model and take the tenant off the DUE index, unless counted meanwhile."""
    uow = unit_of_work()
    uow.put(ModelItem(PK=tenant_key(tenant_id, "NB_MODEL"), SK="MODEL", model=model,
                      trained_at=clock.iso()), label="nb_model")
    uow.update(trained, [OutcomeCountItem.DUEPK.remove(), OutcomeCountItem.DUESK.remove()],
               condition=OutcomeCountItem.DUESK == trained.DUESK, label="nb_due")
    uow.commit()


def model(tenant_id: str) -> dict[str, object] | None:
    try:
        return dict(ModelItem.get(tenant_key(tenant_id, "NB_MODEL"), "MODEL").model)
    except ModelItem.DoesNotExist:
        return None
