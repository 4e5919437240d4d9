"""The gettext catalogs of iotmatch (a .po file per language, and the messages.pot template), and the tools that
maintain them; app/i18n.py reads them."""

from pathlib import Path

LANGUAGES = ("en", "ja")
LOCALE_DIR = Path(__file__).parent
DOMAIN = "messages"


def catalog_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """The .po file of a language."""
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
