"""The shipped support-program catalog, parsed once per test session, and the encoder the member's page needs."""

import pytest

from app.programs.catalog import Program
from app.programs.eligibility import load_catalog


@pytest.fixture(scope="session")
def catalog() -> list[Program]:
    return load_catalog()

