"""Move messages still written in the old Python tables into the gettext catalog.

The messages used to live in two tables: app/messages.py's MESSAGES (code -> (English, Japanese)) and
app/web/i18n.py's STRINGS (key -> (Japanese, English), with STATUS_LABELS and ROLE_LABELS beside it). Changes
begun before the catalog existed may still add entries to them; after such a merge, this reads the tables from the
merged revision and appends every code the catalog lacks to both .po files and to messages.pot:

    python -m app.locale.convert --rev other-branch      # the tables as that revision has them
    python -m app.locale.convert                         # the tables as the files are now

Page strings get the `page.` prefix (`page.search_title`; templates still call t("search_title")), feedback
statuses `page.status.`, member roles `page.role.`. A code the catalog already holds keeps the catalog's text;
the codes whose text differs are listed, and `--update` takes the revision's text for them instead.

The tables are read without running the module: only literal strings, tuples, dicts and f-strings made of the
module's constants are evaluated.
"""

import argparse
import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from app.locale import LANGUAGES, LOCALE_DIR, catalog_path, po

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Table:
    """An old table: where it is, the prefix its keys get as codes, and the order of languages in its tuples."""

    path: str
    name: str
    prefix: str
    order: tuple[str, str]


TABLES = (
    Table("app/messages.py", "MESSAGES", "", ("en", "ja")),
    Table("app/web/i18n.py", "STRINGS", "page.", ("ja", "en")),
    Table("app/web/i18n.py", "STATUS_LABELS", "page.status.", ("ja", "en")),
    Table("app/web/i18n.py", "ROLE_LABELS", "page.role.", ("ja", "en")),
)
_LITERAL_NODES = (ast.Constant, ast.JoinedStr, ast.FormattedValue, ast.Name, ast.Tuple, ast.List, ast.Dict,
                  ast.BinOp, ast.Add, ast.Load)


def source(path: str, rev: str | None, root: Path = ROOT) -> str | None:
    """A file's text at a git revision (None where the revision has no such file), or as it is now."""
    if rev is None:
        file = root / path
        return file.read_text(encoding="utf-8") if file.exists() else None
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, check=False)
    if shown.returncode != 0:
        if b"does not exist" in shown.stderr or b"exists on disk, but not in" in shown.stderr:
            return None
        raise SystemExit(f"git show {rev}:{path}: {shown.stderr.decode(errors='replace').strip()}")
    return shown.stdout.decode("utf-8")


def _literal(node: ast.expr, names: dict[str, object]) -> object:
    """The value of an expression made only of literals and the module's constants."""
    for part in ast.walk(node):
        if not isinstance(part, _LITERAL_NODES) or (isinstance(part, ast.Name) and part.id not in names):
            raise ValueError("not a literal")
    return eval(compile(ast.Expression(node), "<table>", "eval"), {"__builtins__": {}}, dict(names))


def tables(text: str) -> dict[str, object]:
    """The module-level assignments of a module whose values are literals (the tables and their constants)."""
    values: dict[str, object] = {}
    for statement in ast.parse(text).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                values[target.id] = _literal(value, values)
            except (ValueError, TypeError, NameError, SyntaxError):
                continue
    return values


def entries(rev: str | None, root: Path = ROOT) -> dict[str, dict[str, str]]:
    """code -> {language: text} of every entry of the old tables at the revision."""
    found: dict[str, dict[str, str]] = {}
    modules: dict[str, dict[str, object]] = {}
    for table in TABLES:
        if table.path not in modules:
            text = source(table.path, rev, root)
            try:
                modules[table.path] = tables(text) if text is not None else {}
            except SyntaxError as exc:
                raise SystemExit(f"{table.path} at {rev or 'the work tree'} is not valid Python ({exc.msg}, line "
                                 f"{exc.lineno}): resolve its merge conflict first, or give --rev") from None
        rows = modules[table.path].get(table.name)
        if not isinstance(rows, dict):
            continue
        for key, texts in rows.items():
            if not (isinstance(texts, tuple) and len(texts) == 2 and all(isinstance(t, str) for t in texts)):
                raise SystemExit(f"{table.path}: {table.name}[{key!r}] is not a pair of texts")
            found[table.prefix + str(key)] = dict(zip(table.order, texts, strict=True))
    return found


def convert(rev: str | None, *, update: bool = False, root: Path = ROOT) -> tuple[list[str], list[str]]:
    """Append the tables' codes missing from the catalog of the checkout at root (and with update, replace the
    differing texts).

    Returns the codes added and the codes whose text differs.
    """
    found = entries(rev, root)
    locale_dir = root / LOCALE_DIR.relative_to(ROOT)
    catalogs = po.catalogs(locale_dir)
    added: list[str] = []
    differing: list[str] = []
    for code, texts in found.items():
        new = False
        changed = False
        for lang in LANGUAGES:
            message = catalogs[lang].get(code)
            if message is None or not message.string:
                catalogs[lang].add(code, texts[lang])
                new = True
            elif message.string != texts[lang]:
                changed = True
                if update:
                    message.string = texts[lang]
        if new:
            added.append(code)
        elif changed:
            differing.append(code)
    if added or (update and differing):
        for lang in LANGUAGES:
            po.write(catalogs[lang], catalog_path(lang, locale_dir))
        po.write_template((str(m.id) for m in catalogs["en"] if m.id), locale_dir)
    return added, differing


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: python -m app.locale.convert [--rev REV] [--update]."""
    parser = argparse.ArgumentParser(prog="python -m app.locale.convert", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", help="the git revision to read the tables from (default: the files as they are)")
    parser.add_argument("--update", action="store_true",
                        help="also take the revision's text for codes the catalog holds with another text")
    args = parser.parse_args(argv)
    added, differing = convert(args.rev, update=args.update)
    print(f"{len(added)} code(s) added to the catalog" + (f": {', '.join(added)}" if added else ""))
    if differing:
        verb = "replaced" if args.update else "kept the catalog's text (--update takes the revision's)"
        print(f"{len(differing)} code(s) with another text, {verb}: {', '.join(differing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
