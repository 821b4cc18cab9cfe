"""Scoring items: rules, a lead's score and behaviour, naive Bayes counts and models."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class ScoringRulesItem(SalesItem):
    rules = JSONAttribute(default=list)
    version = VersionAttribute()


class LeadScoreItem(SalesItem):
    """Beside the lead (same partition): engagement counts and the last announced score."""

    behaviour = JSONAttribute(default=dict)
    score = NumberAttribute(null=True)
    version = VersionAttribute()


class OutcomeCountItem(SalesItem):
    """How many won and lost deals had `attribute = value` (or all deals: `_total`)."""

    won = NumberAttribute(default=0)
    lost = NumberAttribute(default=0)


class ModelItem(SalesItem):
    model = JSONAttribute(default=dict)
    trained_at = UnicodeAttribute(null=True)
