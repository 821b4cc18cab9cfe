"""Workflow actions the sales service carries out: on leads, opportunities and tasks, and the
tasks and approvals any workflow may ask for."""
