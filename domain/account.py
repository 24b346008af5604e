"""Account: an operator's or a store staff member's login.

The aggregate only ever holds an argon2 hash: the password itself is checked against
the policy here, hashed by the application and never recorded in any event.
"""

from __future__ import annotations

import re
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, InvalidInput, NotFound
from domain.ids import derived_id

ROLES = ("operator", "staff")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


class AccountNotFound(NotFound):
    """No account has this id or username."""

    slug = "account-not-found"
    title = "Account not found"


class UsernameTaken(DomainError):
    """Another account has this username already (case does not matter)."""

    slug = "username-taken"
    title = "Username taken"


class InvalidAccount(InvalidInput):
    """The username or password breaks the account rules."""

    slug = "invalid-account"
    title = "Invalid account"


class InvalidCredentials(DomainError):
    """The username and password do not match an active account."""

    slug = "invalid-credentials"
    title = "Wrong username or password"


def check_username(username: str) -> str:
    """The username as given, or InvalidAccount: 3-64 letters, digits and _ . @ -."""
    if not USERNAME.match(username):
        raise InvalidAccount("a username has 3 to 64 letters, digits or _ . @ - characters")
    return username


def check_password(password: str) -> None:
    """Raise InvalidAccount unless the password's length is within policy."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidAccount(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )


class Account(Aggregate):
    """A login for an operator (whole brand) or a staff member (one store)."""

    @staticmethod
    def id_for(username: str) -> UUID:
        return derived_id("account", username.casefold())

    class Registered(Aggregate.Created):
        username: str
        role: str
        password_hash: str
        store_id: UUID | None

    class PasswordChanged(Aggregate.Event):
        password_hash: str

        def apply(self, account: Account) -> None:
            account.password_hash = self.password_hash

    class Disabled(Aggregate.Event):
        def apply(self, account: Account) -> None:
            account.active = False

    def __init__(self, username: str, role: str, password_hash: str, store_id: UUID | None) -> None:
        self.username = username
        self.role = role
        self.password_hash = password_hash
        self.store_id = store_id
        self.active = True

    @classmethod
    def register(
        cls, username: str, role: str, password_hash: str, store_id: UUID | None = None
    ) -> Account:
        """Register a login; staff belong to exactly one store, operators to none."""
        check_username(username)
        if role not in ROLES:
            raise InvalidAccount(f"role is one of {', '.join(ROLES)}")
        if (role == "staff") != (store_id is not None):
            raise InvalidAccount("staff, and only staff, belong to a store")
        return cls._create(
            cls.Registered,
            id=cls.id_for(username),
            username=username,
            role=role,
            password_hash=password_hash,
            store_id=store_id,
        )

    def change_password(self, password_hash: str) -> None:
        """Replace the password hash (a new password, or a stronger hash of the same)."""
        self.trigger_event(self.PasswordChanged, password_hash=password_hash)

    def disable(self) -> None:
        """Stop this login for good; its tokens stop working too."""
        if self.active:
            self.trigger_event(self.Disabled)
