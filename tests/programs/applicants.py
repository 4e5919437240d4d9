"""Applicants and a judging helper for the eligibility tests that call the engine without a database."""

from datetime import date
from typing import Any

from app.programs.catalog import ApplicantType, Program
from app.programs.eligibility import Applicant, ProgramSuggestion, SuggestionRequest, suggest_programs

OKU, MAN = 100_000_000, 10_000
SUMMER_2018 = date(2018, 7, 1)  # inside every program's window in the source documents
SME_ONLY = {ApplicantType.SME, ApplicantType.SMALL_BUSINESS}


def company(name: str = "九州精工株式会社", **fields: Any) -> Applicant:
    """A manufacturer in 福岡県 with the given profile fields."""
    profile: dict[str, Any] = {"id": name, "name": name, "roles": ["user"], "industry": "E", "prefecture": "福岡県"}
    return Applicant(**(profile | fields))


def judge(catalog: list[Program], applicant: Applicant, **fields: Any) -> dict[str, ProgramSuggestion]:
    """Every program judged for the applicant (as of summer 2018 unless given), by program id."""
    request = SuggestionRequest(applicant=applicant, **({"as_of": SUMMER_2018} | fields))
    return {s.program_id: s for s in suggest_programs(catalog, request)}


def codes(conditions: list[Any]) -> set[str]:
    """The condition codes of a met / unconfirmed / conflicting list."""
    return {c.code for c in conditions}
