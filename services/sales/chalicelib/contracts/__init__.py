"""Contracts: terms with a company, renewal notices, renewals and ends."""
