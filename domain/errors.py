"""The base of every rule violation; each subclass carries a stable slug."""


class DomainError(Exception):
    """A command broke a business rule; `slug` names the failure for clients."""

    slug = "domain-error"
    title = "The request breaks a business rule"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotFound(DomainError):
    """Something the command names does not exist."""

    slug = "not-found"
    title = "Not found"


class InvalidInput(DomainError):
    """A value is outside what the domain accepts."""

    slug = "invalid-input"
    title = "Invalid input"
