"""Workflow automation: one rule language (trigger, conditions, actions) and one engine."""
