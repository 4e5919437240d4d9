"""Errors users can act on: each carries its HTTP status and a message saying what to fix."""

from typing import Any


class AppError(Exception):
    """Base error of the service; the API turns it into a problem-details response."""

    status_code = 400
    title = "Bad request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # A code of the message catalog (app/locale, docs/messages.md), so the API can answer in the caller's language.
        self.code = code
        self.params = params or {}


class NotFound(AppError):
    status_code = 404
    title = "Not found"


class Conflict(AppError):
    status_code = 409
    title = "Conflict"


class InvalidInput(AppError):
    status_code = 422
    title = "Invalid input"


class Unauthorized(AppError):
    status_code = 401
    title = "Unauthorized"


class Forbidden(AppError):
    status_code = 403
    title = "Forbidden"
