"""The pages' language (Japanese by default, English on request) and their interface strings.

The strings are in the gettext catalog (app/locale) under `page.`: t("search_title") is `page.search_title`.
"""

from fastapi import Request

from app.i18n import PAGE_DEFAULT, first_supported, translate

LANGUAGES = ("ja", "en")
DEFAULT = PAGE_DEFAULT
COOKIE = "lang"


def pick(request: Request) -> str:
    """The language asked for by ?lang=, else the lang cookie, else Japanese."""
    return first_supported((request.query_params.get("lang"), request.cookies.get(COOKIE)), DEFAULT)


class Translator:
    """Interface strings in one language; templates call it as t("key", n=3)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: object) -> str:
        return translate(f"page.{key}", self.lang, **params)

    def status(self, status: str) -> str:
        """A feedback status's label."""
        return translate(f"page.status.{status}", self.lang)

    def role(self, role: str) -> str:
        """A member role's label."""
        return translate(f"page.role.{role}", self.lang)


INDUSTRY_EN = {
    "A": "Agriculture, forestry", "B": "Fisheries", "C": "Mining", "D": "Construction", "E": "Manufacturing",
    "F": "Electricity, gas, heat, water", "G": "Information and communications", "H": "Transport, postal",
    "I": "Wholesale, retail", "J": "Finance, insurance", "K": "Real estate, leasing",
    "L": "Scientific research, professional services", "M": "Accommodation, food services",
    "N": "Living-related services, amusement", "O": "Education", "P": "Medical, health care, welfare",
    "Q": "Compound services", "R": "Other services", "S": "Government", "T": "Unclassifiable",
}
