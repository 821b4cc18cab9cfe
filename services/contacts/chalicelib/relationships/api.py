"""Routes of the relationships feature."""

from __future__ import annotations

from chalicelib import SERVICE
from crm_shared.http import ServiceApi

api = ServiceApi(SERVICE, "relationships")
