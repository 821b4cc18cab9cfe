"""Relationship rules in plain Python: built-in types, inverses, the canonical form of an edge.

An edge and its inverse are one fact: `A parent_of B` is `B subsidiary_of A`. Each built-in
pair has a canonical side (the first one below), and the storage keys of an edge use its
canonical form, so the inverse of an existing edge is a duplicate (409) and a list by type
finds an edge whichever way it was written. The record keeps the edge as the client wrote it.
`custom` edges are directed, carry a required label, and have no inverse.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from crm_shared.errors import ValidationFailed

PAIRS = {  # canonical type -> its inverse
    "parent_of": "subsidiary_of",
    "partner_of": "partner_of",
    "supplier_of": "customer_of",
    "influences": "influenced_by",
    "reports_to": "manages",
    "works_at": "employs",
}
INVERSE = {**PAIRS, **{inverse: canonical for canonical, inverse in PAIRS.items()}}
CUSTOM = "custom"
TYPES = frozenset(INVERSE) | {CUSTOM}
SYMMETRIC = frozenset(t for t, inverse in PAIRS.items() if t == inverse)
PARENT_SOURCE = "parent_id"  # the edge mirrors a company's parent_id and follows it
# canonical type -> (kind of its from party, kind of its to party); unlisted types join any
KINDS = {
    "parent_of": ("company", "company"),
    "reports_to": ("contact", "contact"),
    "works_at": ("contact", "company"),
}
PREFIXES = {"con": "contact", "cmp": "company"}


def party_kind(party_id: str) -> str | None:
    return PREFIXES.get(party_id.split("_", 1)[0])


def inverse_of(type_: str) -> str | None:
    return INVERSE.get(type_)


def type_key(type_: str, label: str | None = None) -> tuple[str, bool]:
    """The canonical key part of a type, and whether it is the inverse side of its pair.

    A custom edge is keyed by its label too (hashed: labels are free text), so two parties
    may share several custom edges with different labels.
    """
    if type_ == CUSTOM:
        digest = hashlib.sha256((label or "").strip().lower().encode()).hexdigest()[:16]
        return f"{CUSTOM}.{digest}", False
    if type_ in PAIRS:
        return type_, False
    return INVERSE[type_], True


@dataclass(frozen=True)
class Edge:
    """A directed, typed edge as the client wrote it."""

    relationship_id: str
    from_id: str
    to_id: str
    type: str
    label: str | None
    created_at: str
    source: str | None = None

    @property
    def key(self) -> str:
        return type_key(self.type, self.label)[0]

    @property
    def canonical(self) -> tuple[str, str]:
        """(from, to) of the canonical form."""
        flipped = type_key(self.type, self.label)[1]
        return (self.to_id, self.from_id) if flipped else (self.from_id, self.to_id)

    @property
    def symmetric(self) -> bool:
        return self.type in SYMMETRIC

    def shown(self) -> dict[str, Any]:
        return {**asdict(self), "inverse_type": INVERSE.get(self.type)}

    def moved(self, old: str, new: str, relationship_id: str, now: str) -> Edge:
        """This edge with party `old` replaced by `new` (a merge), under a new id."""
        return Edge(relationship_id, new if self.from_id == old else self.from_id,
                    new if self.to_id == old else self.to_id, self.type, self.label, now,
                    self.source)


def check(from_id: str, to_id: str, type_: str, label: str | None) -> None:
    """Refuse an edge whose parties or type do not fit, naming the field."""
    if type_ == CUSTOM and not (label or "").strip():
        raise ValidationFailed.for_field("label", "is required for a custom relationship")
    if from_id == to_id:
        raise ValidationFailed.for_field("to_id", "a party cannot be related to itself")
    for field, party in (("from_id", from_id), ("to_id", to_id)):
        if party_kind(party) is None:
            raise ValidationFailed.for_field(field, "must be a contact (con_) or company "
                                             "(cmp_) id")
    if type_ == CUSTOM:
        return
    canonical, flipped = type_key(type_)
    kinds = KINDS.get(canonical)
    if kinds is None:
        return
    want_from, want_to = (kinds[1], kinds[0]) if flipped else kinds
    if party_kind(from_id) != want_from:
        raise ValidationFailed.for_field("from_id", f"must be a {want_from} for {type_}")
    if party_kind(to_id) != want_to:
        raise ValidationFailed.for_field("to_id", f"must be a {want_to} for {type_}")
