"""Cross-cutting code shared by every CRM service: one implementation of each concern."""
