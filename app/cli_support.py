"""What every command-line group shares: a database session per command, and failing with a message."""

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import make_engine, make_session_factory, normalize_url, session_scope
from app.errors import AppError
from app.i18n import CLI_DEFAULT, LANGUAGES, locale_language
from app.messages import render


def cli_language(option: str | None) -> str:
    """The language of a command's messages: --lang, else the locale (ja… is Japanese), else English."""
    if option is not None:
        if option not in LANGUAGES:
            raise typer.BadParameter(f"use one of {', '.join(LANGUAGES)}", param_hint="--lang")
        return option
    return locale_language(os.environ, CLI_DEFAULT)


def message(error: AppError, lang: str) -> str:
    """An error's message in the language, when it comes from the catalogue; as raised otherwise."""
    return render(error.code, lang, error.params) if error.code else error.message


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a message users can act on and exit non-zero."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def fail_with_problems(problems: Sequence[object], nothing_done: str, *, source: str | None = None) -> NoReturn:
    """Print every problem of an input file, one per line, then exit non-zero saying nothing was done."""
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    where = f" in {source}" if source else ""
    fail(f"{len(problems)} problem(s){where}; {nothing_done}.")


def missing_sqlite_file(database_url: str) -> Path | None:
    """The SQLite file the URL names if it does not exist (None for other databases and in-memory ones)."""
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    path = Path(url.database)
    return None if path.exists() else path.resolve()


def existing_database_url(database_url: str | None = None) -> str:
    """The database URL (the configured one by default); fails with what to do when it names a SQLite file that
    does not exist.

    Connecting would create an empty file (in the working directory by default) and then fail on the missing
    tables; only `iotmatch db upgrade` creates the database.
    """
    database_url = database_url or get_settings().database_url
    missing = missing_sqlite_file(database_url)
    if missing is not None:
        fail(render("cli.no_database", cli_language(None), {"path": missing}))
    return database_url


@contextmanager
def cli_session(*, report_errors: bool = False) -> Iterator[Session]:
    """A session on the configured database that commits when the block succeeds.

    With report_errors, an AppError raised in the block ends the command with its message.
    """
    engine = make_engine(existing_database_url())
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    except AppError as exc:
        if not report_errors:
            raise
        fail(message(exc, cli_language(None)))
    finally:
        engine.dispose()
