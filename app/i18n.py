"""The one message catalog of the API, the CLI and the pages.

The texts live in gettext catalogs, app/locale/<lang>/LC_MESSAGES/messages.po, read with Babel when this module is
imported. A message id is a stable code (`auth.missing`, `page.search_title`); its msgstr is the text in that
language, with `{name}` placeholders filled by str.format. docs/messages.md says how to add one.
"""

from typing import Any

from babel.messages.pofile import read_po

from app.locale import DOMAIN, LANGUAGES, catalog_path

FALLBACK = "en"


def load(lang: str) -> dict[str, str]:
    """code -> text of one language's catalog; untranslated and fuzzy entries are left out."""
    with catalog_path(lang).open("rb") as file:
        catalog = read_po(file, locale=lang, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


CATALOG: dict[str, dict[str, str]] = {lang: load(lang) for lang in LANGUAGES}


def N_(code: str) -> str:  # gettext's name for marking an id without translating it
    """Mark a code that is looked up later (a label by key, a term), so extraction finds it; returns it as is."""
    return code


def has(code: str) -> bool:
    """Whether the catalog holds the code."""
    return code in CATALOG["en"] or code in CATALOG["ja"]


def template(code: str, lang: str) -> str:
    """The unfilled text of a code in the language (the other language's if this one lacks it).

    Raises KeyError for a code the catalog does not hold: a typo in a code is a bug to find, not a text to show.
    """
    texts = CATALOG.get(lang, CATALOG[FALLBACK])
    if code in texts:
        return texts[code]
    for other in LANGUAGES:
        if code in CATALOG[other]:
            return CATALOG[other][code]
    raise KeyError(code)


def translate(code: str, lang: str, /, **params: Any) -> str:
    """The catalog's text for the code in the language, filled with the parameters."""
    text = template(code, lang)
    return text.format(**params) if params else text
