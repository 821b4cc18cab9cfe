"""Tenant offboarding's report: each service's TenantPurged, and GET /tenants/{id}/offboarding."""
