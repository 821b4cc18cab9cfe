"""The customer service: tickets, routing, SLA policies and escalation, service metrics."""

SERVICE = "service"
