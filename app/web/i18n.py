"""The pages' language (Japanese by default, English on request) and their interface strings.

The strings are in the gettext catalog (app/locale) under `page.`: t("search_title") is `page.search_title`.
"""

from fastapi import Request

from app.i18n import N_, PAGE_DEFAULT, first_supported, has, translate

LANGUAGES = ("ja", "en")
DEFAULT = PAGE_DEFAULT
COOKIE = "lang"
# The labels of values the pages show, by value; written out so that extraction finds the codes.
STATUS_LABELS = {
    "interested": N_("page.status.interested"),
    "not_relevant": N_("page.status.not_relevant"),
    "contacted": N_("page.status.contacted"),
    "met": N_("page.status.met"),
    "deal": N_("page.status.deal"),
}
ROLE_LABELS = {
    "vendor_hw": N_("page.role.vendor_hw"),
    "vendor_sys": N_("page.role.vendor_sys"),
    "sier": N_("page.role.sier"),
    "user": N_("page.role.user"),
    "support": N_("page.role.support"),
}
REQUEST_KIND_LABELS = {
    "must_meet": N_("page.kind_must_meet"),
    "would_like": N_("page.kind_would_like"),
    "do_not_meet": N_("page.kind_do_not_meet"),
}
OUTCOME_LABELS = {
    "did_not_take_place": N_("page.outcome_did_not_take_place"),
    "insufficient_interest": N_("page.outcome_insufficient_interest"),
    "informative_no_cooperation": N_("page.outcome_informative_no_cooperation"),
    "cooperation_possible": N_("page.outcome_cooperation_possible"),
    "pending": N_("page.outcome_pending"),  # no outcome recorded yet
}
INTRO_STATE_LABELS = {
    "requested": N_("page.intro_state.requested"),
    "accepted": N_("page.intro_state.accepted"),
    "declined": N_("page.intro_state.declined"),
    "withdrawn": N_("page.intro_state.withdrawn"),
    "brokered": N_("page.intro_state.brokered"),
}
# What each step on an introduction is called in its history, and the notice after taking it.
INTRO_EVENT_LABELS = INTRO_STATE_LABELS | {
    "requested": N_("page.intro_event.requested"),
    "note": N_("page.intro_event.note"),
    "nudged": N_("page.intro_event.nudged"),
    "contacted": N_("page.status.contacted"),
    "met": N_("page.status.met"),
    "deal": N_("page.status.deal"),
}
INTRO_DONE_LABELS = {
    "requested": N_("page.intro_done.requested"),
    "accept": N_("page.intro_done.accept"),
    "decline": N_("page.intro_done.decline"),
    "withdraw": N_("page.intro_done.withdraw"),
    "step": N_("page.intro_done.step"),
    "note": N_("page.intro_done.note"),
    "nudge": N_("page.intro_done.nudge"),
    "broker": N_("page.intro_done.broker"),
}
MEMBER_TYPE_LABELS = {"corporate": N_("page.corporate"), "individual": N_("page.individual")}
# JSIC major divisions; the Japanese are the official names (app.roster.vocab.INDUSTRIES).
INDUSTRY_LABELS = {
    "A": N_("page.industry.A"),
    "B": N_("page.industry.B"),
    "C": N_("page.industry.C"),
    "D": N_("page.industry.D"),
    "E": N_("page.industry.E"),
    "F": N_("page.industry.F"),
    "G": N_("page.industry.G"),
    "H": N_("page.industry.H"),
    "I": N_("page.industry.I"),
    "J": N_("page.industry.J"),
    "K": N_("page.industry.K"),
    "L": N_("page.industry.L"),
    "M": N_("page.industry.M"),
    "N": N_("page.industry.N"),
    "O": N_("page.industry.O"),
    "P": N_("page.industry.P"),
    "Q": N_("page.industry.Q"),
    "R": N_("page.industry.R"),
    "S": N_("page.industry.S"),
    "T": N_("page.industry.T"),
}


def pick(request: Request) -> str:
    """The language asked for by ?lang=, else the lang cookie, else Japanese."""
    return first_supported((request.query_params.get("lang"), request.cookies.get(COOKIE)), DEFAULT)


class Translator:
    """Interface strings in one language; templates call it as t("key", n=3)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: object) -> str:
        return translate(f"page.{key}", self.lang, **params)

    def has(self, key: str) -> bool:
        """Whether there is a string for the key (for keys made from a value, like a saved action)."""
        return has(f"page.{key}")

    def status(self, status: str) -> str:
        """A feedback status's label."""
        return translate(STATUS_LABELS[status], self.lang)

    def intro_state(self, state: str) -> str:
        """An introduction's state (依頼中, 承諾…)."""
        return translate(INTRO_STATE_LABELS[state], self.lang)

    def intro_event(self, kind: str) -> str:
        """A step in an introduction's history."""
        return translate(INTRO_EVENT_LABELS[kind], self.lang)

    def intro_done(self, action: str) -> str:
        """The notice after a step on an introduction; an unknown one (a hand-made link) says it was saved."""
        return translate(INTRO_DONE_LABELS.get(action, "page.saved"), self.lang)

    def role(self, role: str) -> str:
        """A member role's label."""
        return translate(ROLE_LABELS[role], self.lang)

    def industry(self, code: str) -> str:
        """A JSIC major division's name; an unknown code as it is."""
        return translate(INDUSTRY_LABELS[code], self.lang) if code in INDUSTRY_LABELS else code

    def request_kind(self, kind: str) -> str:
        """An event request's label (必ず会いたい, できれば会いたい, 会わない)."""
        return translate(REQUEST_KIND_LABELS[kind], self.lang)

    def outcome(self, outcome: str) -> str:
        """A meeting outcome's label (or pending's)."""
        return translate(OUTCOME_LABELS[outcome], self.lang)

    def member_type(self, member_type: str) -> str:
        """A member type's label (団体会員, 個人会員)."""
        return translate(MEMBER_TYPE_LABELS[member_type], self.lang)
