"""Domain errors raised by services; pages show them as messages, the API as JSON errors."""


class DomainError(Exception):
    """A refused request. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, reasons: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.reasons = reasons or []

    def to_errors(self) -> list[dict]:
        if self.reasons:
            return [{"message": r, "code": self.code} for r in self.reasons]
        error = {"message": self.message, "code": self.code}
        if self.field:
            error["field"] = self.field
        return [error]

    @property
    def code(self) -> str:
        return type(self).__name__


class ValidationError(DomainError):
    """A field is missing or invalid (422)."""

    status = 422


class NotFound(DomainError):
    """What the request names does not exist (404): services raise it, never `abort()`."""

    status = 404


class Conflict(DomainError):
    """The request clashes with the current state: duplicate, illegal move, veto, full (409)."""

    status = 409


class IllegalMove(Conflict):
    pass


class Vetoed(Conflict):
    """One or more plugins refused a stage move; `reasons` lists why."""
