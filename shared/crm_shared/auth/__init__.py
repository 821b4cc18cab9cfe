"""Authentication (Cognito ID tokens, tenant API keys, operator) and authorization (roles)."""
