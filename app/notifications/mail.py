"""E-mails in Japanese and English, written as templates, and links into the service for them.

    subject, text, html = render_email("sign_in", "ja", name="博多 花子", url=public_link("/signin/…"))
    enqueue_email(session, to=address, subject=subject, text=text, html=html, idempotency_key=…)

A mail is one Jinja2 file, app/notifications/templates/<name>.mail, that extends `_layout.mail` and fills three
blocks: `subject` (one line), `text` (the text/plain part) and `html` (the body of the text/html part; the
layout wraps it in a page with the footer). The same file is rendered once per part: the text and the subject
without escaping, the HTML with autoescaping, so a member's name with `<` in it stays text in both.

Every sentence comes from the message catalog (docs/messages.md): `t("sign_in.intro", minutes=minutes)` in a mail
template is the code `mail.sign_in.intro`, and `make messages` finds it. The layout gives every mail its greeting
line when the context has `name`, and its footer; with `unsubscribe_url` in the context the footer offers it
(pass the same URL as the List-Unsubscribe header of enqueue_email).
"""

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.config import Settings, get_settings
from app.i18n import LANGUAGES, translate

TEMPLATES = Path(__file__).parent / "templates"
SUFFIX = ".mail"
PARTS = ("subject", "text", "html")


class MailTranslator:
    """The catalog's `mail.` strings in one language; templates call it as t("key", name=…)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: object) -> str:
        return translate(f"mail.{key}", self.lang, **params)


@lru_cache(maxsize=2)
def _environment(html: bool) -> Environment:
    # StrictUndefined: a context value a template needs but the caller forgot fails at once, not as a blank.
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=html, undefined=StrictUndefined,
                       keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


def templates() -> list[str]:
    """The names of the mails there are templates for."""
    return sorted(path.stem for path in TEMPLATES.glob(f"*{SUFFIX}") if not path.name.startswith("_"))


def public_link(path: str, settings: Settings | None = None) -> str:
    """An absolute link into the service for a mail: IOTMATCH_PUBLIC_URL (of `settings`, else the process's)
    followed by the path."""
    return (settings or get_settings()).public_url.rstrip("/") + "/" + path.lstrip("/")


def render_email(name: str, lang: str, /, **context: Any) -> tuple[str, str, str]:
    """(subject, text, html) of the mail `name` in the language ("ja" or "en"), filled with the context.

    Raises jinja2.TemplateNotFound for an unknown name and jinja2.UndefinedError when the context lacks a value
    the template uses.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"no mails in {lang!r}; use one of {', '.join(LANGUAGES)}")
    values = {"lang": lang, "t": MailTranslator(lang), "site_url": public_link("/"), "name": None,
              "unsubscribe_url": None} | context
    filename = name + SUFFIX
    rendered = {}
    for part in PARTS:
        template = _environment(part == "html").get_template(filename)
        rendered[part] = template.render(values | {"part": part})
    subject = re.sub(r"\s+", " ", rendered["subject"]).strip()
    text = re.sub(r"\n{3,}", "\n\n", rendered["text"]).strip() + "\n"
    return subject, text, rendered["html"].strip() + "\n"
