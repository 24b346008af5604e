"""Use cases for logins: operator and staff accounts, follower tokens, revocable bearer tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import AggregateNotFoundError

from domain.access import AccessToken, Forbidden, NotAuthenticated
from domain.account import (
    Account,
    AccountNotFound,
    InvalidCredentials,
    UsernameTaken,
    check_password,
    check_username,
)
from domain.member import Member, MemberNotFound
from services.app.audit import AuditUseCases
from services.app.lockout import FailedLoginTable, LoginKeys, LoginLockouts
from services.app.stores import StoreUseCases

DEFAULT_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class AccountView:
    id: UUID
    username: str
    role: str
    store_id: UUID | None
    active: bool


@dataclass(frozen=True)
class IssuedToken:
    """A fresh bearer token: the secret is shown once and stored nowhere."""

    access_token: str
    role: str
    subject_id: UUID
    store_id: UUID | None
    expires_at: datetime


@dataclass(frozen=True)
class Principal:
    """Who a valid token speaks for: an operator, a store's staff or a follower (member)."""

    token_id: UUID
    role: str
    subject_id: UUID
    username: str | None
    store_id: UUID | None
    expires_at: datetime

    def require(self, *roles: str) -> Principal:
        """This principal, or Forbidden when its role is not among `roles`."""
        if self.role not in roles:
            raise Forbidden(f"a {self.role} token cannot do this; needs {' or '.join(roles)}")
        return self

    def require_store(self, store_id: UUID) -> Principal:
        """Operators reach every store; staff only their own."""
        if self.role == "operator" or (self.role == "staff" and self.store_id == store_id):
            return self
        raise Forbidden("this store is not yours")


def account_view(account: Account) -> AccountView:
    return AccountView(account.id, account.username, account.role, account.store_id, account.active)


class AccountUseCases(AuditUseCases, StoreUseCases):
    def __init__(
        self,
        *args: Any,
        password_hasher: PasswordHasher | None = None,
        login_lockouts: LoginLockouts | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.passwords = password_hasher or PasswordHasher()
        self.decoy_hash: str | None = None
        self.failed_logins = FailedLoginTable(self, login_lockouts or LoginLockouts())

    def register_operator(self, username: str, password: str) -> AccountView:
        """Create an operator login (argon2-hashed password)."""
        password_hash = self.new_password_hash(username, password)

        def attempt() -> Account:
            self.check_username_free(username)
            account = Account.register(username, "operator", password_hash)
            self.save(account)
            return account

        return account_view(self.retrying(attempt))

    def register_staff(self, username: str, password: str, store_id: UUID) -> AccountView:
        """Create a staff login at one store and assign it there, in one transaction."""
        password_hash = self.new_password_hash(username, password)

        def attempt() -> Account:
            self.check_username_free(username)
            store = self.store(store_id)
            account = Account.register(username, "staff", password_hash, store_id)
            store.assign_staff(account.id)
            self.save(account, store)
            return account

        return account_view(self.retrying(attempt))

    def ensure_operator(self, username: str, password: str) -> bool:
        """Create this operator unless the username exists; True when created."""
        try:
            self.register_operator(username, password)
        except UsernameTaken:
            return False
        return True

    def disable_account(self, account_id: UUID) -> AccountView:
        """Stop a login for good; its tokens stop working at once."""
        return account_view(self.update(lambda: self.account(account_id), Account.disable))

    def list_staff(self, store_id: UUID | None = None) -> list[AccountView]:
        """Staff logins of one store, or of every store."""
        stores = (
            [self.store(store_id)]
            if store_id
            else [self.store(i) for i in self.catalog_ids("stores")]
        )
        staff_ids = [staff_id for store in stores for staff_id in store.staff_ids]
        return [account_view(self.account(i)) for i in staff_ids if self.exists(i)]

    def login(
        self,
        username: str,
        password: str,
        ttl: timedelta = DEFAULT_TTL,
        address: str | None = None,
    ) -> IssuedToken:
        """Check an operator's or staff member's password and issue a bearer token;
        LoginLocked while the username or the address waits out a lockout."""
        keys, now = LoginKeys(username, address), self.now()
        self.failed_logins.check(keys, now)
        try:
            account = self.verified_account(username, password)
        except InvalidCredentials:
            self.failed_logins.failed(keys, now)
            raise
        self.failed_logins.succeeded(keys, now)
        return self.issue_token(
            account.role, account.id, ttl, username=account.username, store_id=account.store_id
        )

    def verified_account(self, username: str, password: str) -> Account:
        """The active account these credentials open; InvalidCredentials otherwise."""
        try:
            account = self.account(Account.id_for(username))
        except AccountNotFound:
            # Check a decoy so an unknown username takes as long as a wrong password.
            self.decoy_hash = self.decoy_hash or self.passwords.hash(secrets.token_urlsafe(16))
            self.password_matches(self.decoy_hash, password)
            raise InvalidCredentials("wrong username or password") from None
        if not self.password_matches(account.password_hash, password) or not account.active:
            raise InvalidCredentials("wrong username or password")
        return account

    def follower_login(self, openid: str, ttl: timedelta = DEFAULT_TTL) -> IssuedToken:
        """Issue a follower token for an existing member, by WeChat openid."""
        member = self.load(Member, Member.id_for(openid), MemberNotFound)
        return self.issue_token("follower", member.id, ttl)

    def authenticate(self, secret: str) -> Principal:
        """Who this bearer token speaks for; NotAuthenticated when unknown, revoked or expired."""
        token = self.access_token(secret)
        token.check_valid(self.now())
        if token.role != "follower" and not self.account(token.subject_id).active:
            raise NotAuthenticated("this login was disabled")
        return Principal(
            token.id,
            token.role,
            token.subject_id,
            token.username,
            token.store_id,
            token.expires_at,
        )

    def logout(self, secret: str) -> None:
        """Revoke a bearer token, for every API process at once (it is stored)."""
        now = self.now()
        self.update(lambda: self.access_token(secret), lambda t: t.revoke(now))

    def issue_token(self, role: str, subject_id: UUID, ttl: timedelta, **who: Any) -> IssuedToken:
        secret = secrets.token_urlsafe(32)
        token = AccessToken.issue(secret, role, subject_id, self.now(), ttl, **who)
        self.save(token)
        return IssuedToken(secret, role, subject_id, token.store_id, token.expires_at)

    def access_token(self, secret: str) -> AccessToken:
        try:
            token = self.repository.get(AccessToken.id_for(secret))
        except AggregateNotFoundError:
            raise NotAuthenticated("unknown bearer token") from None
        if not isinstance(token, AccessToken):
            raise NotAuthenticated("unknown bearer token")
        return token

    def account(self, account_id: UUID) -> Account:
        return self.load(Account, account_id, AccountNotFound)

    def check_username_free(self, username: str) -> None:
        if self.exists(Account.id_for(username)):
            raise UsernameTaken(f"the username {username!r} is taken")

    def new_password_hash(self, username: str, password: str) -> str:
        check_username(username)
        check_password(password)
        return self.passwords.hash(password)

    def password_matches(self, password_hash: str, password: str) -> bool:
        try:
            return self.passwords.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
