"""The platform service: tenants, users, teams and API keys (the CRM's control plane)."""

SERVICE = "platform"
