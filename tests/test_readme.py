"""The README's configuration table lists every setting as app/config.py defines it."""

from pathlib import Path

from app.config import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_configuration_table_is_current() -> None:
    assert settings_table() in README.read_text(encoding="utf-8"), (
        "README.md's configuration table is out of date: replace it with the output of "
        'python -c "from app.config import settings_table; print(settings_table())"'
    )
