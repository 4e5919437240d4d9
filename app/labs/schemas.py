"""Lab responses."""

from pydantic import BaseModel, ConfigDict

from app.schemas import UtcDateTime


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
