"""The message catalog (app/locale): complete in both languages, used by the code, and its maintenance tools."""

import shutil
import subprocess
from pathlib import Path

from app.locale import LANGUAGES, LOCALE_DIR, catalog_path, po
from app.locale.check import catalog_problems, usage_problems
from app.locale.convert import convert, tables


def test_every_code_has_a_text_in_both_languages_with_the_same_placeholders() -> None:
    assert catalog_problems() == []


def test_every_code_the_code_names_is_in_the_catalog_and_every_code_is_named() -> None:
    assert usage_problems() == []


def _copy_catalog(locale: Path) -> None:
    shutil.copytree(LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.py", "__pycache__"))


def test_the_check_finds_a_missing_text_other_placeholders_a_fuzzy_text_and_a_code_written_twice(
        tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    _copy_catalog(locale)
    ja = catalog_path("ja", locale)
    text = ja.read_text(encoding="utf-8")
    for old, new in (('msgid "page.cancel"\nmsgstr "戻る"', 'msgid "page.cancel"\nmsgstr ""'),
                     ('msgid "page.results_count"\nmsgstr "{n}件"', 'msgid "page.results_count"\nmsgstr "{count}件"'),
                     ('msgid "page.saved"', '#, fuzzy\nmsgid "page.saved"')):
        assert old in text
        text = text.replace(old, new)
    ja.write_text(text + '\nmsgid "page.save"\nmsgstr "保存"\n', encoding="utf-8")

    assert sorted(catalog_problems(locale)) == [
        "ja: page.save is written twice",
        "ja: page.saved is marked fuzzy",
        "page.cancel has no text in ja",
        "page.results_count has different placeholders: en {n}; ja {count}",
    ]


def test_the_check_finds_codes_used_but_missing_and_codes_nothing_uses(tmp_path: Path) -> None:
    for lang in LANGUAGES:  # a catalog of two codes
        catalog = po.new_catalog(lang)
        catalog.add("test.used", "used")
        catalog.add("test.unused", "unused")
        po.write(catalog, catalog_path(lang, tmp_path / "app" / "locale"))
    (tmp_path / "app" / "web" / "templates").mkdir(parents=True)
    (tmp_path / "app" / "web" / "views.py").write_text(
        'raise error(InvalidInput, "test.used", field="x")\n'
        'log.error("failed: %s", "not.a.code")\n'
        'detail = render("test.missing", lang, {})\n'
        'title = t("missing_title")\n', encoding="utf-8")
    (tmp_path / "app" / "web" / "templates" / "page.html").write_text(
        '<h1>{{ t("missing_heading") }}</h1><p>{{ t.role(role) }}</p>', encoding="utf-8")

    assert usage_problems(tmp_path) == [
        "page.missing_heading is used (app/web/templates/page.html:1) but not in the catalog",
        "page.missing_title is used (app/web/views.py:4) but not in the catalog",
        "test.missing is used (app/web/views.py:3) but not in the catalog",
        "test.unused is in the catalog but nothing uses it",
        "messages.pot does not list the codes in use: run make messages",
    ]

OLD_MESSAGES = '''
KEY_HEADERS = "`X-API-Key: <key>`"
MESSAGES: dict[str, tuple[str, str]] = {
    "auth.missing": (f"Send {KEY_HEADERS}, please.", "送ってください。"),
    "test.new_code": (
        f"Give {{field}} as {KEY_HEADERS}",
        "{field} を指定してください。",
    ),
}
'''
OLD_STRINGS = '''
STRINGS = {"new_key": ("新しい項目", "New item")}
STATUS_LABELS = {"on_hold": ("保留", "On hold")}
'''


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args], cwd=root,
                   check=True, capture_output=True)


def _checkout_with_old_tables(root: Path) -> None:
    """A checkout whose catalog is today's and whose committed tables hold entries the catalog lacks."""
    _copy_catalog(root / "app" / "locale")
    (root / "app" / "web").mkdir(parents=True)
    (root / "app" / "messages.py").write_text(OLD_MESSAGES, encoding="utf-8")
    (root / "app" / "web" / "i18n.py").write_text(OLD_STRINGS, encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "old tables")
    # The merge took the catalog's side: the tables are gone from the files, only the revision has them.
    (root / "app" / "messages.py").write_text("", encoding="utf-8")
    (root / "app" / "web" / "i18n.py").write_text("", encoding="utf-8")


def _texts(root: Path, lang: str) -> dict[str, str]:
    catalog = po.read(catalog_path(lang, root / "app" / "locale"), lang)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_convert_appends_the_codes_a_revision_adds_in_both_languages(tmp_path: Path) -> None:
    _checkout_with_old_tables(tmp_path)
    before = _texts(tmp_path, "en")

    added, differing = convert("HEAD", root=tmp_path)

    assert added == ["test.new_code", "page.new_key", "page.status.on_hold"]
    assert differing == ["auth.missing"]  # the catalog keeps its own text unless asked
    en, ja = _texts(tmp_path, "en"), _texts(tmp_path, "ja")
    assert en["test.new_code"] == "Give {field} as `X-API-Key: <key>`"
    assert ja["test.new_code"] == "{field} を指定してください。"
    assert (en["page.new_key"], ja["page.new_key"]) == ("New item", "新しい項目")
    assert (en["page.status.on_hold"], ja["page.status.on_hold"]) == ("On hold", "保留")
    assert en["auth.missing"] == before["auth.missing"]
    assert list(en)[-3:] == added  # appended, so the entries before them keep their place
    po_text = catalog_path("ja", tmp_path / "app" / "locale").read_text(encoding="utf-8")
    assert '#, python-brace-format\nmsgid "test.new_code"' in po_text
    assert 'msgid "page.new_key"' in (tmp_path / "app" / "locale" / "messages.pot").read_text(encoding="utf-8")

    assert convert("HEAD", root=tmp_path) == ([], ["auth.missing"])  # a second run changes nothing


def test_convert_update_takes_the_revisions_text(tmp_path: Path) -> None:
    _checkout_with_old_tables(tmp_path)
    convert("HEAD", root=tmp_path, update=True)
    assert _texts(tmp_path, "en")["auth.missing"] == "Send `X-API-Key: <key>`, please."
    assert _texts(tmp_path, "ja")["auth.missing"] == "送ってください。"


def test_convert_reads_tables_without_running_the_module() -> None:
    found = tables('import os\nPWD = os.getcwd()\nMESSAGES = {"a.b": (PWD, "x")}\nOK = {"c.d": ("e", "f")}\n')
    assert set(found) == {"OK"}
    assert found["OK"] == {"c.d": ("e", "f")}
