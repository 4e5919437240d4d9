"""The README documents every setting and every command as the code defines them."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from app.cli import cli
from app.config import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_configuration_table_is_current() -> None:
    assert settings_table() in README.read_text(encoding="utf-8"), (
        "README.md's configuration table is out of date: replace it with the output of "
        'python -c "from app.config import settings_table; print(settings_table())"'
    )


def _command_paths(group: Any, prefix: str) -> Iterator[str]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _command_paths(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


def test_readme_cli_reference_lists_every_command() -> None:
    readme = README.read_text(encoding="utf-8")
    commands = list(_command_paths(typer.main.get_command(cli), "iotmatch"))
    assert len(commands) > 10
    missing = [c for c in commands if f"`{c}`" not in readme and f"`{c} " not in readme]
    assert not missing, f"add these commands to README.md's CLI reference: {missing}"
