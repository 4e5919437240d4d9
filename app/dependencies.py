"""FastAPI dependencies shared by the routers: settings and a database session per request."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; committed when the route returns, rolled back on error."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with (async: no thread-pool trip for reading an attribute)."""
    settings: Settings = request.app.state.settings
    return settings


# scope="function": the session commits when the route returns, before the response is sent, so an
# acknowledged write is a committed one (and a failed commit is answered as such, not after a 201).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
