"""How the account page shows people: a colleague's address, since when, and what may be done with them."""

from dataclasses import dataclass
from datetime import datetime

from app.accounts.models import Person


@dataclass(frozen=True)
class ColleagueView:
    """One person of the member on the account page."""

    id: int
    email: str
    since: datetime
    last_sign_in_at: datetime | None
    is_me: bool
    is_contact: bool  # the roster's contact: always signs in, so it cannot be removed here

    @classmethod
    def of(cls, person: Person, *, me: int, contact: str) -> "ColleagueView":
        """The view of a stored person, for the signed-in person `me` and the member's roster contact."""
        return cls(person.id, person.email, person.created_at, person.last_sign_in_at, person.id == me,
                   bool(contact) and person.email == contact)
