"""Request and response bodies of the operator's WeChat routes (rules, flows, inbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.api.schemas.common import RequestBody


class RuleCreate(RequestBody):
    """An auto-reply rule; `reply` is text, news, coupon (campaign_id) or flow (flow_id)."""

    name: str = Field(min_length=1, max_length=60)
    match: Literal["exact", "contains", "regex", "subscribe", "click"]
    keywords: list[str] = Field(default_factory=list, max_length=50)
    reply: dict[str, Any]
    priority: int = Field(0, ge=-1000, le=1000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class RuleOut(BaseModel):
    id: UUID
    name: str
    match: str
    keywords: list[str]
    reply: dict[str, Any]
    priority: int
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool


class RuleList(BaseModel):
    items: list[RuleOut]


class RecipientOut(BaseModel):
    openid: str
    member_id: UUID | None
    replies: int
    first_at: datetime
    last_at: datetime


class RecipientList(BaseModel):
    items: list[RecipientOut]


class CorrectionCreate(RequestBody):
    text: str = Field(min_length=1, max_length=2000)


class CorrectionOut(BaseModel):
    correction_id: UUID
    rule_id: UUID
    text: str
    recipients: int


class QuestionIn(RequestBody):
    prompt: str = Field(min_length=1, max_length=600)
    options: dict[str, str] = Field(description='answer -> tag, e.g. {"A": "老顾客"}')


class FlowCreate(RequestBody):
    name: str = Field(min_length=1, max_length=60)
    questions: list[QuestionIn] = Field(min_length=1, max_length=10)
    reward: dict[str, Any] | None = None
    closing_text: str = "谢谢参与！"
    answer_window_minutes: int = Field(30, ge=1, le=7 * 24 * 60)


class FlowOut(BaseModel):
    id: UUID
    name: str
    questions: list[dict[str, Any]]
    reward: dict[str, Any] | None
    closing_text: str
    answer_window_minutes: int
    active: bool


class FlowList(BaseModel):
    items: list[FlowOut]


class ConversationOut(BaseModel):
    id: UUID
    openid: str
    member_id: UUID | None
    status: str
    waiting: int
    waiting_since: datetime | None
    last_message_at: datetime | None
    agent_id: UUID | None
    answers: int


class WaitingOut(BaseModel):
    conversation_id: UUID
    openid: str
    member_id: UUID | None
    waiting: int
    waiting_since: datetime
    waiting_seconds: int
    last_message_at: datetime
    agent_id: UUID | None


class Inbox(BaseModel):
    items: list[WaitingOut]


class MessageOut(BaseModel):
    direction: str
    message_key: str
    msg_type: str
    text: str
    at: datetime
    agent_id: UUID | None


class MessageList(BaseModel):
    items: list[MessageOut]


class Assign(RequestBody):
    agent_id: UUID | None = Field(None, description="absent: the caller takes it")


class Answer(RequestBody):
    text: str | None = Field(None, min_length=1, max_length=2000)
    canned_reply_id: UUID | None = None


class AnswerOut(BaseModel):
    conversation_id: UUID
    outbox_key: str
    text: str


class Close(RequestBody):
    reason: str = Field("closed", max_length=200)


class CannedCreate(RequestBody):
    title: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1, max_length=2000)


class CannedOut(BaseModel):
    id: UUID
    title: str
    text: str


class CannedList(BaseModel):
    items: list[CannedOut]
