"""E-commerce intake: signed shop webhooks mapped into orders and carts; abandoned carts."""
