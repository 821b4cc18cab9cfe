"""Who may do what in marketing: marketers (and admins) work campaigns; everyone reads."""

from __future__ import annotations

from crm_shared.auth.roles import ALL_ROLES, Role

MARKETERS: frozenset[str] = frozenset({Role.ADMIN, Role.MARKETER})
READERS: frozenset[str] = ALL_ROLES
