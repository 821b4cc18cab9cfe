"""Contacts: the people a tenant does business with."""
