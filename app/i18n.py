"""The one message catalog of the API, the CLI and the pages, and the choice of language on each surface.

The texts live in gettext catalogs, app/locale/<lang>/LC_MESSAGES/messages.po, read with Babel when this module is
imported. A message id is a stable code (`auth.missing`, `page.search_title`); its msgstr is the text in that
language, with `{name}` placeholders filled by str.format. docs/messages.md says how to add one.
"""

import os
from collections.abc import Iterable, Mapping
from typing import Any

from babel.messages.pofile import read_po

from app.locale import DOMAIN, LANGUAGES, catalog_path

FALLBACK = "en"
# Each surface keeps its own default: the API and the CLI answer in English unless asked, the pages in Japanese.
API_DEFAULT = "en"
PAGE_DEFAULT = "ja"
CLI_DEFAULT = "en"
# The locale variables in the order POSIX gives them precedence.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


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
    """The catalog's text for the code in the language, filled with the parameters (`{{` is a literal brace)."""
    return template(code, lang).format(**params)


def first_supported(candidates: Iterable[str | None], default: str) -> str:
    """The first candidate that is exactly a supported language code, else the default (the pages' ?lang= and
    cookie)."""
    for value in candidates:
        if value in LANGUAGES:
            return value
    return default


def negotiate(accept_language: str | None, default: str = API_DEFAULT) -> str:
    """The supported language an Accept-Language header prefers most (RFC 9110 weights), else the default."""
    best, best_q = default, 0.0
    for item in (accept_language or "").split(","):
        tag, _, rest = item.strip().partition(";")
        q = 1.0
        for param in rest.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        lang = default if primary == "*" else primary
        # Strictly greater: of equal weights the earlier one wins, as the header lists preferences in order.
        if lang in LANGUAGES and 0 < q <= 1 and q > best_q:
            best, best_q = lang, q
    return best


def locale_language(environ: Mapping[str, str] | None = None, default: str = CLI_DEFAULT) -> str:
    """The language of the POSIX locale (LC_ALL, LC_MESSAGES, LANG: the first one set decides), else the default.

    Only Japanese is recognized from a locale: another set locale (C, de_DE…) means the default.
    """
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else default
    return default
