"""The e-mails of an introduction, queued in the outbox in the transaction of the step that causes them.

Each mail's idempotency key names the introduction, the step and the address, so a step is never mailed twice.
"""

from typing import Any

from sqlalchemy.orm import Session

from app.accounts.service import member_addresses
from app.introductions.models import Introduction
from app.notifications.mail import public_link, render_email
from app.notifications.outbox import enqueue_email
from app.roster.models import Organization

# Members choose no language for mail; the community writes Japanese.
LANG = "ja"


def addresses(db_session: Session, org: Organization) -> list[str]:
    """Where to write to a member: the roster's contact e-mail and its people who sign in, each once."""
    return member_addresses(db_session, org.id)


def contact(org: Organization) -> dict[str, Any]:
    """A member's contact as the roster holds it, for a mail."""
    return {"organization": org.name, "person": org.contact_name, "email": org.contact_email,
            "phone": org.contact_phone}


def _context(intro: Introduction) -> dict[str, Any]:
    return {"asker": intro.asker.name, "recipient": intro.recipient.name, "need": intro.need.title,
            "need_id": intro.need.external_id, "seed": intro.seed.title, "seed_id": intro.seed.external_id,
            "message": intro.message, "reply": intro.reply, "url": public_link(f"/introductions/{intro.id}")}


def _send(db_session: Session, intro: Introduction, to: Organization, template: str, step: str,
          **extra: Any) -> None:
    for address in addresses(db_session, to):
        subject, text, html = render_email(template, LANG, name=to.contact_name or to.name, **_context(intro),
                                           **extra)
        enqueue_email(db_session, to=address, subject=subject, text=text, html=html,
                      idempotency_key=f"introduction:{intro.id}:{step}:{address.lower()}")


def requested(db_session: Session, intro: Introduction) -> None:
    """Tell the member asked: who asks, about which pair, and why; no contact of the asker."""
    _send(db_session, intro, intro.recipient, "introduction_requested", "requested")


def accepted(db_session: Session, intro: Introduction) -> None:
    """Give each of the two the other's contact."""
    _send(db_session, intro, intro.asker, "introduction_accepted", "accepted", partner=contact(intro.recipient))
    _send(db_session, intro, intro.recipient, "introduction_accepted", "accepted", partner=contact(intro.asker))


def declined(db_session: Session, intro: Introduction) -> None:
    """Tell the asker, with the other member's reply if any."""
    _send(db_session, intro, intro.asker, "introduction_declined", "declined")


def nudged(db_session: Session, intro: Introduction, number: int, days: int) -> None:
    """Remind the member asked of the request it has not answered for `days` days (the n-th reminder)."""
    _send(db_session, intro, intro.recipient, "introduction_reminder", f"nudge-{number}", days=days)
