"""The contacts service: people, companies, their network, the 360 timeline, consent."""

SERVICE = "contacts"
