"""Lab requests and responses."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.organizations.schemas import Industry
from app.schemas import RequestModel, Text, UtcDateTime

# scheme://host[:port], as browsers send it in Origin: no path, no trailing slash.
ORIGIN_PATTERN = r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$"
Origin = Annotated[str, StringConstraints(pattern=ORIGIN_PATTERN, max_length=200)]


class LabRead(BaseModel):
    """A regional IoT lab: region, member bodies, focus fields and the web origins allowed to call the API."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    name_en: str | None
    prefecture: str
    city: str | None
    member_bodies: list[str]
    focus_fields: list[str]
    industries: list[str]
    brand_color: str
    allowed_origins: list[str]
    updated_at: UtcDateTime


class LabList(BaseModel):
    items: list[LabRead]


class LabUpdate(RequestModel):
    """What the secretariat may change about a lab; fields left out stay as they are."""

    allowed_origins: list[Origin] | None = Field(
        default=None, max_length=50, description="web origins of the lab's sites, e.g. https://iot-lab.example.jp",
        examples=[["https://iot-lab.fukuoka-pref.example.jp"]])
    focus_fields: list[Annotated[Text, StringConstraints(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=50)
    industries: list[Industry] | None = Field(default=None, max_length=20,
                                              description="JSIC divisions lab keys see by default")
