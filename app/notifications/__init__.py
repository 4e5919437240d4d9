"""Notifications: e-mails and webhooks kept in an outbox until a worker delivers them."""
