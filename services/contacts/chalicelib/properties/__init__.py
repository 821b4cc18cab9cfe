"""Custom fields: each tenant's own properties on contacts and companies."""
