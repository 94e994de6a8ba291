"""Errors the clinic services raise, in the clinic's terms; the web layer turns each into an
RFC 9457 problem and the CLI into a message with exit status 2."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every expected failure; `field` names the input at fault when there is one."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(ServiceError):
    status = 422
    title = "Invalid input"


class NotAuthenticated(ServiceError):
    status = 401
    title = "Not authenticated"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"
