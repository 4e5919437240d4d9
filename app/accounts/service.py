"""People and how they sign in: one-time links by e-mail, invitations of colleagues, staff of the secretariat.

Who an address signs in as: the roster wins. A member's roster contact signs in as that member, always (the
person is created on first sign-in, or moved from another member); else the person already holding it, as long
as they were invited (a person made only because they were a roster contact stops signing in, and stops getting
the member's mail, once the roster holds another address). The secretariat's staff are people added with
`iotmatch accounts add-staff`. Links and invitations are random secrets of which only the SHA-256 is stored;
the e-mails that carry them are queued in the outbox in the same transaction.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Invitation, Person, SignInLink
from app.db import as_utc, utcnow
from app.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from app.messages import error
from app.notifications.mail import render_email
from app.notifications.outbox import enqueue_email
from app.roster.models import Organization
from app.web.models import WebSignIn

LINK_LIFETIME = timedelta(minutes=15)
INVITATION_LIFETIME = timedelta(days=7)
LINK_PATH = "/signin/link"
INVITATION_PATH = "/invitations/accept"


class LinkRefused(AppError):
    """A sign-in link or invitation that cannot be used (unknown, used, expired); the page says to ask anew."""

    status_code = 400
    title = "Link refused"


def normalize_email(value: str, *, field: str = "email") -> str:
    """The address as stored: checked for form (not for deliverability), lower-cased; 422 saying what to fix."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise error(InvalidInput, "invalid.email", field=field, value=value.strip()[:100]) from exc
    return checked.normalized.lower()


def hash_token(token: str) -> str:
    """The stored form of a link's secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _person(db_session: Session, email: str) -> Person | None:
    return db_session.scalar(select(Person).options(selectinload(Person.organization)).where(Person.email == email))


def contact_address(org: Organization) -> str | None:
    """The member's roster contact as addresses are stored (normalize_email); None when unset or malformed."""
    if not org.contact_email or not org.contact_email.strip():
        return None
    try:
        return normalize_email(org.contact_email)
    except InvalidInput:
        return None


def roster_member(db_session: Session, email: str) -> Organization | None:
    """The member whose roster contact the (normalized) address is (the first by id, should two share one)."""
    candidates = db_session.scalars(select(Organization).order_by(Organization.id)
                                    .where(func.lower(func.trim(Organization.contact_email)) == email))
    return next((org for org in candidates if contact_address(org) == email), None)


def _invited(db_session: Session, person: Person) -> bool:
    return person.invited_by_id is not None or db_session.scalar(
        select(Invitation.id).where(Invitation.email == person.email,
                                    Invitation.organization_id == person.organization_id,
                                    Invitation.accepted_at.is_not(None)).limit(1)) is not None


def signs_in(db_session: Session, person: Person) -> bool:
    """Whether the person still signs in as they are: not removed; staff, or a member's person whom the roster
    does not give to another member and who is its roster contact or was invited."""
    if person.removed_at is not None:
        return False
    if person.role == "secretariat":
        return True
    contact_of = roster_member(db_session, person.email)
    if contact_of is not None:
        return contact_of.id == person.organization_id
    return _invited(db_session, person)


def may_sign_in(db_session: Session, email: str) -> bool:
    """Whether the (normalized) address signs anyone in."""
    person = _person(db_session, email)
    if person is not None and signs_in(db_session, person):
        return True
    return roster_member(db_session, email) is not None


def person_for(db_session: Session, email: str) -> Person | None:
    """The person the address signs in as, created for a roster contact's first sign-in; None for nobody.

    The roster wins: a roster contact signs in as the member whose roster holds the address, its person restored
    if a colleague removed it, or moved if it belonged to another member.
    """
    person = _person(db_session, email)
    if person is not None and person.role == "secretariat" and person.removed_at is None:
        return person
    org = roster_member(db_session, email)
    if org is None:
        return person if person is not None and signs_in(db_session, person) else None
    if person is not None:
        if person.removed_at is not None or person.organization_id != org.id:
            person.role, person.organization, person.removed_at = "member", org, None
            db_session.flush()
        return person
    try:
        with db_session.begin_nested():  # a first sign-in racing with another of the same address
            person = Person(email=email, role="member", organization=org)
            db_session.add(person)
    except IntegrityError:
        person = _person(db_session, email)
    return person


def _url(base_url: str, path: str, token: str, next: str = "") -> str:
    query = {"token": token} | ({"next": next} if next else {})
    return f"{base_url.rstrip('/')}{path}?{urlencode(query)}"


def request_sign_in(db_session: Session, *, email: str, lang: str, base_url: str, now: datetime | None = None,
                    lifetime: timedelta = LINK_LIFETIME, next: str = "") -> bool:
    """E-mail a one-time sign-in link to the address if it signs anyone in; True if one was queued.

    `next`, a local path the caller checked, rides along in the link: the sign-in ends there.

    The caller answers the same either way. `now` issues the link as of another time (a link issued 16 minutes
    ago has expired); expired links of every address are cleared on the way.
    """
    now = now or utcnow()
    db_session.execute(delete(SignInLink).where(SignInLink.expires_at < now - timedelta(days=1)))
    if not may_sign_in(db_session, email):
        return False
    token = secrets.token_urlsafe(32)
    link = SignInLink(token_hash=hash_token(token), email=email, created_at=now, expires_at=now + lifetime)
    db_session.add(link)
    db_session.flush()
    subject, text, html = render_email("sign_in", lang, url=_url(base_url, LINK_PATH, token, next),
                                       minutes=int(lifetime.total_seconds() // 60))
    enqueue_email(db_session, to=email, subject=subject, text=text, html=html,
                  idempotency_key=f"sign-in-link-{link.id}", secret_body=True)
    return True


def check_link(db_session: Session, *, token: str, now: datetime | None = None) -> SignInLink:
    """The link if it can still be used (without using it); LinkRefused saying why not."""
    now = now or utcnow()
    link = db_session.scalar(select(SignInLink).where(SignInLink.token_hash == hash_token(token)))
    if link is None:
        raise error(LinkRefused, "auth.link_unknown")
    if link.used_at is not None:
        raise error(LinkRefused, "auth.link_used")
    if as_utc(link.expires_at) <= now:
        raise error(LinkRefused, "auth.link_expired")
    return link


def sign_in_with_link(db_session: Session, *, token: str, now: datetime | None = None) -> Person:
    """Use the link, once: the person it signs in (created for a roster contact's first sign-in).

    Used by one conditional update, so two requests racing with the same link cannot both succeed.
    """
    now = now or utcnow()
    link = check_link(db_session, token=token, now=now)
    used = db_session.execute(update(SignInLink)
                              .where(SignInLink.id == link.id, SignInLink.used_at.is_(None),
                                     SignInLink.expires_at > now)
                              .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise error(LinkRefused, "auth.link_used")
    person = person_for(db_session, link.email)
    if person is None:  # removed since the link was sent
        raise error(LinkRefused, "auth.link_unknown")
    person.last_sign_in_at = now
    db_session.flush()
    return person


def active_person(db_session: Session, person_id: int) -> Person | None:
    """The person if they may still sign in (not removed)."""
    person = db_session.get(Person, person_id, options=[selectinload(Person.organization)])
    return person if person is not None and signs_in(db_session, person) else None


def sign_out_everywhere(db_session: Session, *, person_id: int) -> int:
    """End every signed-in session of the person; returns how many there were."""
    ended = db_session.execute(delete(WebSignIn).where(WebSignIn.person_id == person_id))
    return int(ended.rowcount)  # type: ignore[attr-defined]


# -- colleagues ---------------------------------------------------------------------------------------------------

def colleagues(db_session: Session, organization_id: int) -> list[Person]:
    """The member's people who may sign in, in the order they joined."""
    people = db_session.scalars(select(Person).where(Person.organization_id == organization_id,
                                                     Person.removed_at.is_(None)).order_by(Person.id))
    return [p for p in people if signs_in(db_session, p)]


def pending_invitations(db_session: Session, organization_id: int, now: datetime | None = None) -> list[Invitation]:
    """Invitations of the member not yet accepted, revoked or expired."""
    now = now or utcnow()
    return list(db_session.scalars(select(Invitation).where(
        Invitation.organization_id == organization_id, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > now).order_by(Invitation.id)))


def member_addresses(db_session: Session, organization_id: int) -> list[str]:
    """Where to write to a member: its roster contact and its people who may sign in, each address once."""
    org = db_session.get(Organization, organization_id)
    if org is None:
        return []
    contact = contact_address(org)
    found = [contact] if contact else []
    found += [p.email for p in colleagues(db_session, organization_id)]
    return list(dict.fromkeys(found))


def invite(db_session: Session, *, inviter: Person, email: str, lang: str, base_url: str,
           now: datetime | None = None) -> Invitation:
    """Invite a colleague to sign in for the inviter's member; the invitation goes out by e-mail.

    Inviting an address again replaces the invitation sent before (its link stops working).
    """
    now = now or utcnow()
    if inviter.role != "member" or inviter.organization is None:
        raise error(Forbidden, "forbidden.invite_members_only")
    org = inviter.organization
    existing = _person(db_session, email)
    if existing is not None and existing.organization_id == org.id and signs_in(db_session, existing):
        raise error(Conflict, "conflict.colleague_exists", field="email", email=email)
    db_session.execute(update(Invitation).where(Invitation.organization_id == org.id, Invitation.email == email,
                                                Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
                       .values(revoked_at=now).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(token_hash=hash_token(token), email=email, organization=org, invited_by_id=inviter.id,
                            created_at=now, expires_at=now + INVITATION_LIFETIME)
    db_session.add(invitation)
    db_session.flush()
    subject, text, html = render_email("invitation", lang, url=_url(base_url, INVITATION_PATH, token),
                                       member=org.name, inviter=inviter.email, days=INVITATION_LIFETIME.days)
    enqueue_email(db_session, to=email, subject=subject, text=text, html=html,
                  idempotency_key=f"invitation-{invitation.id}", secret_body=True)
    return invitation


def check_invitation(db_session: Session, *, token: str, now: datetime | None = None) -> Invitation:
    """The invitation if it can still be accepted; LinkRefused saying why not."""
    now = now or utcnow()
    invitation = db_session.scalar(select(Invitation).options(selectinload(Invitation.organization))
                                   .where(Invitation.token_hash == hash_token(token)))
    if invitation is None or invitation.revoked_at is not None:
        raise error(LinkRefused, "auth.link_unknown")
    if invitation.accepted_at is not None:
        raise error(LinkRefused, "auth.link_used")
    if as_utc(invitation.expires_at) <= now:
        raise error(LinkRefused, "auth.link_expired")
    return invitation


def accept_invitation(db_session: Session, *, token: str, now: datetime | None = None) -> Person:
    """Accept the invitation, once: the colleague's person for the member, signed in.

    An address that already signs in for another member, or is another member's roster contact, stays theirs:
    the secretariat moves it if it should.
    """
    now = now or utcnow()
    invitation = check_invitation(db_session, token=token, now=now)
    org_id = invitation.organization_id
    person = _person(db_session, invitation.email)
    contact_of = roster_member(db_session, invitation.email)
    if (person is not None and person.organization_id != org_id and signs_in(db_session, person)) or \
            (contact_of is not None and contact_of.id != org_id):
        raise error(LinkRefused, "auth.invitation_other_member")
    accepted = db_session.execute(update(Invitation)
                                  .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
                                  .values(accepted_at=now).execution_options(synchronize_session=False))
    if accepted.rowcount != 1:  # type: ignore[attr-defined]
        raise error(LinkRefused, "auth.link_used")
    if person is None:
        person = Person(email=invitation.email, role="member", organization_id=org_id,
                        invited_by_id=invitation.invited_by_id, created_at=now)
        db_session.add(person)
    elif person.removed_at is not None or person.organization_id != org_id:
        person.role, person.organization_id, person.removed_at = "member", org_id, None
        person.invited_by_id = invitation.invited_by_id
    person.last_sign_in_at = now
    db_session.flush()
    db_session.refresh(person)
    return person


def remove_colleague(db_session: Session, *, by: Person, person_id: int) -> Person:
    """Remove a colleague of the same member (oneself too): they can no longer sign in, and their sessions end.

    The roster's contact cannot be removed here: it always signs in; the secretariat changes the roster.
    """
    person = db_session.get(Person, person_id)
    if person is None or person.removed_at is not None or person.organization_id != by.organization_id \
            or by.role != "member":
        raise error(NotFound, "not_found.colleague", id=person_id)
    org = person.organization
    if org is not None and contact_address(org) == person.email:
        raise error(Conflict, "conflict.colleague_is_contact", email=person.email)
    person.removed_at = utcnow()
    sign_out_everywhere(db_session, person_id=person.id)
    db_session.flush()
    return person


# -- the secretariat's staff ----------------------------------------------------------------------------------------

def add_staff(db_session: Session, *, email: str) -> Person:
    """Let the address sign in as the secretariat's staff (again, if removed)."""
    person = _person(db_session, email)
    member = roster_member(db_session, email)
    if (person is not None and person.removed_at is None and person.role != "secretariat") or \
            (person is None and member is not None):
        raise error(Conflict, "conflict.staff_is_member", email=email)
    if person is None:
        person = Person(email=email, role="secretariat")
        db_session.add(person)
    else:
        person.role, person.organization_id, person.removed_at = "secretariat", None, None
    db_session.flush()
    return person


def remove_staff(db_session: Session, *, email: str) -> Person:
    """The address no longer signs in as staff; its sessions end."""
    person = _person(db_session, email)
    if person is None or person.role != "secretariat" or person.removed_at is not None:
        raise error(NotFound, "not_found.staff", email=email)
    person.removed_at = utcnow()
    sign_out_everywhere(db_session, person_id=person.id)
    db_session.flush()
    return person


def list_people(db_session: Session) -> list[Person]:
    """Everyone who has signed in or been added, removed ones included, by id."""
    return list(db_session.scalars(select(Person).options(selectinload(Person.organization)).order_by(Person.id)))
