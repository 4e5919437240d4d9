"""Reading and writing the catalog files the same way every time, so their diffs show only what changed."""

import string
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from app.locale import DOMAIN, LANGUAGES, LOCALE_DIR, catalog_path

TEMPLATE = f"{DOMAIN}.pot"
BRACE_FLAG = "python-brace-format"
HEADERS = {
    "en": "# English messages of iotmatch. docs/messages.md says how to add one.",
    "ja": "# Japanese messages of iotmatch. docs/messages.md says how to add one.",
}
# Fixed, so rewriting a catalog changes no header line.
CREATED = datetime(2026, 1, 1)


def placeholders(text: str) -> set[str]:
    """The names of a text's str.format fields (`{id!r}` and `{limit:g}` name id and limit)."""
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text)
                if name is not None}
    except ValueError:  # unbalanced braces: no field the formatting could fill
        return set()


def read(path: Path, lang: str | None = None) -> Catalog:
    """A catalog file as Babel reads it."""
    with path.open("rb") as file:
        return read_po(file, locale=lang, domain=DOMAIN)


def new_catalog(lang: str | None) -> Catalog:
    """An empty catalog with the project's header."""
    return Catalog(locale=lang, domain=DOMAIN, project="iotmatch", version="1", fuzzy=False,
                   header_comment=HEADERS.get(lang or "", "# The message codes of iotmatch, without texts."),
                   msgid_bugs_address="the secretariat", last_translator="the secretariat",
                   language_team=lang or "", creation_date=CREATED, revision_date=CREATED)


def write(catalog: Catalog, path: Path) -> None:
    """Write a catalog: one line per text (no wrapping), `python-brace-format` on the codes with placeholders.

    Babel derives the format flags from the msgid, which here is a code; so the flag is set from the texts.
    """
    for message in catalog:
        if not message.id:
            continue
        if placeholders(str(message.string)):
            message.flags.add(BRACE_FLAG)
        else:
            message.flags.discard(BRACE_FLAG)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog, width=0)


def catalogs(locale_dir: Path = LOCALE_DIR) -> dict[str, Catalog]:
    """Every language's catalog as it is on disk (an empty one where there is no file yet)."""
    paths = {lang: catalog_path(lang, locale_dir) for lang in LANGUAGES}
    return {lang: read(path, lang) if path.exists() else new_catalog(lang) for lang, path in paths.items()}


def write_template(codes: Iterable[str], locale_dir: Path = LOCALE_DIR) -> None:
    """messages.pot: every code, without texts, sorted, as `pybabel extract` writes it (make messages)."""
    template = new_catalog(None)
    for code in codes:
        template.add(code, "")
    with (locale_dir / TEMPLATE).open("wb") as file:
        write_po(file, template, sort_output=True, omit_header=True)
