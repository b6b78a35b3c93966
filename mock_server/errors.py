"""Domain errors: each carries the envelope code, a readable message and the HTTP
status it travels with (unless the ``error_status: "200"`` switch is on).
One handler in the HTTP layer renders them; nothing else builds error bodies."""

from __future__ import annotations


class ApiError(Exception):
    code = 81500
    http_status = 500

    def __init__(self, message: str, *, http_status: int | None = None, headers: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        if http_status is not None:
            self.http_status = http_status
        self.headers = headers or {}


class ParameterEmpty(ApiError):
    """Gateway 1202: a required parameter (orgId) is missing or empty."""
    code, http_status = 1202, 400


class InvalidParameter(ApiError):
    """Gateway 1004: malformed request (body, field, type, path parameter)."""
    code, http_status = 1004, 400


class ChannelException(ApiError):
    """81400: channel or data source exception (another org's task, stopped channel)."""
    code, http_status = 81400, 403


class NotFound(ApiError):
    """81404: the task or channel does not exist."""
    code, http_status = 81404, 404


class StateConflict(ApiError):
    """dfmock 81409: the action does not fit the task's current state."""
    code, http_status = 81409, 409


class FileGone(ApiError):
    """dfmock 81410: the task's file was deleted or expired."""
    code, http_status = 81410, 410


class StoreFull(ApiError):
    """dfmock 81429: the task store is at its cap and holds nothing evictable."""
    code, http_status = 81429, 429


class InternalError(ApiError):
    code, http_status = 81500, 500


class RouteNotFound(ApiError):
    code, http_status = 90404, 404


class MethodNotAllowed(ApiError):
    code, http_status = 90405, 405


class BodyTooLarge(ApiError):
    code, http_status = 90413, 413


#: Every code dfmock can answer, for docs and tests.
ALL_ERRORS = (ParameterEmpty, InvalidParameter, ChannelException, NotFound, StateConflict,
              FileGone, StoreFull, InternalError, RouteNotFound, MethodNotAllowed, BodyTooLarge)
