"""Domain errors raised by services; views turn them into form errors, the API into JSON."""


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    """The object is in a state that does not allow the change (409)."""

    status_code = 409
    code = "conflict"


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_failed"

    @classmethod
    def field(cls, name: str, message: str) -> "ValidationFailed":
        return cls(message, {name: [message]})
