"""Check the catalog: every code in every language, the same placeholders, no code used but missing or kept unused.

    python -m app.locale.check        # (make messages runs it after pybabel extract) prints each problem, exit 1

The test suite runs the same checks (tests/test_messages.py).
"""

import re
import sys
from pathlib import Path

from app.locale import LANGUAGES, LOCALE_DIR, catalog_path, po
from app.locale.extract import used_codes

ROOT = Path(__file__).resolve().parents[2]

# Codes whose languages deliberately fill in different parameters of the same call: the Japanese leaves out an
# English-only detail (the JSON decoder's or the HTTP error's own English wording) and says something else.
DIFFERENT_PLACEHOLDERS = {
    "invalid.json": "en gives the decoder's English reason, ja the position of the fault",
    "http.error": "en gives the error's own English detail, ja a general sentence with the status",
}
_MSGID = re.compile(r'^msgid "(.+)"$', re.MULTILINE)


def duplicates(path: Path) -> list[str]:
    """Codes written twice in a catalog file (Babel would keep only the last one, silently)."""
    seen: set[str] = set()
    twice: list[str] = []
    for code in _MSGID.findall(path.read_text(encoding="utf-8")):
        if code in seen:
            twice.append(code)
        seen.add(code)
    return twice


def catalog_problems(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """What is wrong within the catalogs themselves."""
    problems: list[str] = []
    catalogs = po.catalogs(locale_dir)
    texts = {lang: {str(m.id): str(m.string or "") for m in catalogs[lang] if m.id} for lang in LANGUAGES}
    codes = sorted(set().union(*texts.values()))
    for lang in LANGUAGES:
        problems += [f"{lang}: {code} is written twice" for code in duplicates(catalog_path(lang, locale_dir))]
        problems += [f"{lang}: {code} is marked fuzzy" for code in codes
                     if (m := catalogs[lang].get(code)) is not None and m.fuzzy]
    for code in codes:
        missing = [lang for lang in LANGUAGES if not texts[lang].get(code, "").strip()]
        if missing:
            problems.append(f"{code} has no text in {', '.join(missing)}")
            continue
        names = {lang: po.placeholders(texts[lang][code]) for lang in LANGUAGES}
        if len({frozenset(n) for n in names.values()}) > 1 and code not in DIFFERENT_PLACEHOLDERS:
            shown = "; ".join(f"{lang} {{{', '.join(sorted(n))}}}" for lang, n in names.items())
            problems.append(f"{code} has different placeholders: {shown}")
    return problems


def usage_problems(root: Path = ROOT) -> list[str]:
    """Codes the code under root/app names that its catalog lacks, and codes of the catalog that nothing names."""
    known = {str(m.id) for m in po.catalogs(root / LOCALE_DIR.relative_to(ROOT))["en"] if m.id}
    used = used_codes(root)
    problems = [f"{code} is used ({', '.join(places)}) but not in the catalog"
                for code, places in sorted(used.items()) if code not in known]
    problems += [f"{code} is in the catalog but nothing uses it" for code in sorted(known)
                 if code not in used]
    template = root / LOCALE_DIR.relative_to(ROOT) / po.TEMPLATE
    listed = {str(m.id) for m in po.read(template)} - {""} if template.exists() else set()
    if listed != set(used):
        problems.append(f"{po.TEMPLATE} does not list the codes in use: run make messages")
    return problems


def main() -> int:
    """Print every problem; exit 1 when there is one."""
    problems = catalog_problems() + usage_problems()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the message catalog; docs/messages.md says how to fix them.",
              file=sys.stderr)
        return 1
    print("message catalog complete: every code in " + " and ".join(LANGUAGES) + ", each used")
    return 0


if __name__ == "__main__":
    sys.exit(main())
