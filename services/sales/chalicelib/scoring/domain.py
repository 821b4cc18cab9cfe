"""Scoring in plain Python: rule points, behaviour points, and naive Bayes over won/lost deals.

The predictive part learns as Odoo's lead scoring does: per tenant, how often each value of
a few lead attributes appeared on won and on lost deals; Laplace smoothing keeps an unseen
value from deciding alone. A lead's probability is the prior odds times each attribute's
likelihood ratio, and those log ratios are the factors shown.
"""

from __future__ import annotations

import math
from typing import Any

from crm_shared.filters import FilterGroup, matches

BEHAVIOUR_POINTS = {"MessageOpened": 1, "LinkClicked": 3, "FormSubmitted": 10}
BEHAVIOUR_CAP = {"MessageOpened": 10, "LinkClicked": 30, "FormSubmitted": 40}
TOP = 5


def email_kind(email: str | None) -> str:
    from chalicelib.leads.domain import email_kind as kind

    return kind(email)


def attributes(lead: dict[str, Any]) -> dict[str, str]:
    """What the model looks at: the lead's source, industry, size, UTM and email kind."""
    utm = lead.get("utm") or {}
    values = {"source": lead.get("source"), "industry": lead.get("industry"),
              "company_size": lead.get("company_size"), "utm_source": utm.get("source"),
              "utm_medium": utm.get("medium"), "email_kind": email_kind(lead.get("email"))}
    return {k: str(v).lower() for k, v in values.items() if v}


def rule_factors(rules: list[dict[str, Any]], lead: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for rule in rules:
        groups = [FilterGroup.model_validate(g) for g in rule["filter_groups"]]
        if matches(groups, lead):
            out.append({"kind": "rule", "rule_id": rule["rule_id"], "name": rule["name"],
                        "points": int(rule["points"])})
    return out


def behaviour_factors(counts: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for kind, count in sorted(counts.items()):
        points = min(int(count) * BEHAVIOUR_POINTS.get(kind, 0), BEHAVIOUR_CAP.get(kind, 0))
        if points:
            out.append({"kind": "behaviour", "name": kind, "count": int(count),
                        "points": points})
    return out


def score(factors: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """The total, and the top contributions, largest first."""
    ranked = sorted(factors, key=lambda f: (-abs(f["points"]), f["name"]))
    return sum(f["points"] for f in factors), ranked[:TOP]


def train(counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """A model from `{"<attr>#<value>": {"won": n, "lost": m}, "_total": {...}}` counts."""
    total = counts.get("_total", {})
    won, lost = int(total.get("won", 0)), int(total.get("lost", 0))
    values: dict[str, dict[str, tuple[int, int]]] = {}
    for key, tally in counts.items():
        if key == "_total":
            continue
        attribute, value = key.split("#", 1)
        values.setdefault(attribute, {})[value] = (int(tally.get("won", 0)),
                                                   int(tally.get("lost", 0)))
    model: dict[str, Any] = {"won": won, "lost": lost,
                             "prior": math.log((won + 1) / (lost + 1)), "attributes": {}}
    for attribute, seen in values.items():
        k = len(seen) + 1  # one more for values never seen
        ratios = {v: math.log((w + 1) / (won + k)) - math.log((lo + 1) / (lost + k))
                  for v, (w, lo) in seen.items()}
        unseen = math.log(1 / (won + k)) - math.log(1 / (lost + k))
        model["attributes"][attribute] = {"values": ratios, "unseen": unseen}
    return model


def predict(model: dict[str, Any] | None,
            lead: dict[str, Any]) -> tuple[float | None, list[dict[str, Any]]]:
    """The probability the lead is won, and each attribute's log-likelihood ratio."""
    if not model or model.get("won", 0) + model.get("lost", 0) == 0:
        return None, []
    logit = float(model["prior"])
    factors: list[dict[str, Any]] = []
    for attribute, value in sorted(attributes(lead).items()):
        known = model["attributes"].get(attribute)
        if known is None:
            continue
        ratio = float(known["values"].get(value, known["unseen"]))
        logit += ratio
        factors.append({"attribute": attribute, "value": value,
                        "contribution": round(ratio, 4)})
    factors.sort(key=lambda f: -abs(float(f["contribution"])))
    probability = 1 / (1 + math.exp(-max(min(logit, 50.0), -50.0)))
    return round(probability, 4), factors[:TOP]
