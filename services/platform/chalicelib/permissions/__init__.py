"""Field-level permissions: the admin API for a tenant's field rules."""
