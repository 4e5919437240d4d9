"""Notifications: e-mails and webhooks kept in an outbox until a worker delivers them.

What other features use:

- app.notifications.mail: render_email(name, lang, **context) -> (subject, text, html) from
  templates/<name>.mail with the catalog's `mail.` strings; public_link(path) for the links in a mail.
- app.notifications.outbox: enqueue_email(...) and enqueue_webhook(...) in the caller's transaction.
- app.notifications.worker: register_job(name, fn, every=…) in app/<domain>/jobs.py for periodic work
  (digests, reminders), run by every worker.

The tests read the mail from a real SMTP server: the `smtp_server` fixture (tests/conftest.py, tests/mail.py).
"""
