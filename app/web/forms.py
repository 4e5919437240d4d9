"""Need and seed forms: read the fields, validate them with the API's schemas, report errors per field."""

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from app.i18n import PAGE_DEFAULT, translate
from app.messages import validation_reason
from app.postings.schemas import NeedCreate, NeedUpdate, SeedCreate, SeedUpdate
from app.roster.cells import decode_list, encode_list
from app.roster.models import Need, Seed

MODELS: dict[tuple[str, bool], type[BaseModel]] = {
    ("need", True): NeedCreate, ("need", False): NeedUpdate,
    ("seed", True): SeedCreate, ("seed", False): SeedUpdate,
}


@dataclass
class PostingForm:
    """What the form shows: the values as typed and the problems found in them."""

    kind: str
    title: str = ""
    description: str = ""
    tags: str = ""
    budget_jpy: str = ""
    industries_served: list[str] = field(default_factory=list)
    service_area: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    lang: str = PAGE_DEFAULT  # of the error messages

    @classmethod
    def of(cls, posting: Need | Seed) -> "PostingForm":
        """The form filled with a stored posting."""
        form = cls("need" if isinstance(posting, Need) else "seed", posting.title, posting.description,
                   encode_list(posting.tags or (), "、"))
        if isinstance(posting, Need):
            form.budget_jpy = "" if posting.budget_jpy is None else str(posting.budget_jpy)
        else:
            form.industries_served = list(posting.industries_served or ())
            form.service_area = list(posting.service_area or ())
        return form

    def values(self) -> dict[str, Any]:
        """The request the form stands for, in the API's field names."""
        tags = decode_list(self.tags)  # the rule of the roster's spreadsheets, so exports read back the same
        values: dict[str, Any] = {"title": self.title.strip(), "description": self.description.strip(),
                                  "tags": tags or None}
        if self.kind == "need":
            budget = self.budget_jpy.replace(",", "").replace("，", "").strip()
            if budget and not budget.isdigit():
                self.errors["budget_jpy"] = translate("page.budget_digits_only", self.lang)
            values["budget_jpy"] = int(budget) if budget.isdigit() else None
        else:
            values["industries_served"] = self.industries_served or None
            # Nothing ticked is "anywhere", stored as null like an absent key in the exchange format.
            values["service_area"] = self.service_area or None
        return values

    def _parse(self, create: bool) -> BaseModel | None:
        values = self.values()
        try:
            parsed = MODELS[(self.kind, create)].model_validate(values)
        except ValidationError as exc:
            for problem in exc.errors():
                name = str(problem["loc"][0]) if problem["loc"] else "form"
                self.errors.setdefault(name, validation_reason(problem, self.lang))
            return None
        return None if self.errors else parsed

    def for_create(self) -> NeedCreate | SeedCreate | None:
        """The validated new need or seed, or None with errors filled in."""
        parsed = self._parse(create=True)
        assert parsed is None or isinstance(parsed, NeedCreate | SeedCreate)
        return parsed

    def for_update(self) -> NeedUpdate | SeedUpdate | None:
        """The validated changes, or None with errors filled in."""
        parsed = self._parse(create=False)
        assert parsed is None or isinstance(parsed, NeedUpdate | SeedUpdate)
        return parsed
