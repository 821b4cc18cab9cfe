"""Workflow actions the contacts service carries out on contacts and companies."""
