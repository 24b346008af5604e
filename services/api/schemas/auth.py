"""Logins and bearer tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from services.api.schemas.common import OpenId, RequestBody, Secret, Username


class LoginRequest(RequestBody):
    username: Username
    password: Secret


class FollowerTokenRequest(RequestBody):
    openid: OpenId


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    role: str
    expires_at: datetime
    store_id: UUID | None = None


class FollowerTokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    member_id: UUID
    expires_at: datetime


class WhoAmI(BaseModel):
    role: str
    id: UUID
    username: str | None
    store_id: UUID | None
    expires_at: datetime
