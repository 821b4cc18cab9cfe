"""Outbound webhooks: subscriptions, signed deliveries with retries, replays."""
