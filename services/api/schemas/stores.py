"""Stores and their staff."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

from services.api.schemas.common import Name, Region, RequestBody, Secret, Username


class StoreCreate(RequestBody):
    name: Name
    region: Region


class StoreUpdate(RequestBody):
    name: Name | None = None
    region: Region | None = None


class StoreOut(BaseModel):
    id: UUID
    name: str
    region: str
    qr_scene: str
    is_open: bool
    follow_url: str


class StoreList(BaseModel):
    items: list[StoreOut]


class StaffCreate(RequestBody):
    username: Username
    password: Secret
    store_id: UUID


class OperatorCreate(RequestBody):
    username: Username
    password: Secret


class AccountOut(BaseModel):
    id: UUID
    username: str
    role: str
    store_id: UUID | None
    active: bool


class StaffList(BaseModel):
    items: list[AccountOut]
