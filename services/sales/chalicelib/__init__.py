"""The sales service: leads, pipelines, opportunities, tasks, approvals, forecasts."""

SERVICE = "sales"
