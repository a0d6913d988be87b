"""Failures a client can be told about, one per error code of the contract."""


class DomainError(Exception):
    """A refusal with a contract error code; its message is safe to show to the client."""

    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    code = "bad_request"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class RateLimited(DomainError):
    code = "rate_limited"


class TooLarge(DomainError):
    code = "too_large"


class Unavailable(DomainError):
    code = "unavailable"
