"""The e-mails of sign-in: a one-time link, and a colleague's invitation."""

from app.accounts.service import Mail
from app.i18n import translate


def sign_in_mail(lang: str, *, url: str, minutes: int) -> Mail:
    """The mail that carries a sign-in link."""
    return Mail(translate("mail.sign_in_subject", lang), translate("mail.sign_in_text", lang, url=url, minutes=minutes))


def invitation_mail(lang: str, *, url: str, member: str, inviter: str, days: int) -> Mail:
    """The mail that invites a colleague to sign in for the member."""
    return Mail(translate("mail.invitation_subject", lang, member=member),
                translate("mail.invitation_text", lang, url=url, member=member, inviter=inviter, days=days))
