"""What an outbound WeChat message may carry, and which channel may deliver it when.

Three kinds: `text` ({"content"}), `news` ({"articles": [1 to 8 articles]}) and
`template` ({"template_id", "data", "url"?}). Text and news go as customer-service
messages, which WeChat only accepts within 48 hours of the follower's last
interaction; outside that window they fall back to a template message: the
payload's own `template` if it carries one, else the brand's notice template
(fields `first`, `keyword1`, `remark`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.errors import InvalidInput

KINDS = ("text", "news", "template")
SERVICE_WINDOW = timedelta(hours=48)
MAX_TEXT = 2000  # characters; WeChat refuses customer-service text over 2048 bytes-ish
MAX_FIELD = 200
# A passive reply shows up to 8 articles; a customer-service news message only one
# (WeChat answers 45008 to more), so the outbox sends the first and keeps the rest.
MAX_ARTICLES = 8


class InvalidOutboundContent(InvalidInput):
    """The payload does not fit its kind of message."""

    slug = "invalid-outbound-content"
    title = "Invalid outbound message content"


@dataclass(frozen=True)
class Template:
    """A template message's content: which template, its fields and where a tap leads."""

    template_id: str
    data: dict[str, dict[str, str]]
    url: str | None = None


# What WeChat counts as the follower acting (opening the 48-hour window): any message
# they send, following, scanning a QR code, and the three menu types that push an event.
INTERACTIVE_EVENTS = frozenset({"subscribe", "scan", "click", "scancode_push", "scancode_waitmsg"})


def opens_service_window(msg_type: str, event: str | None) -> bool:
    """Does this push from WeChat (MsgType, Event) open the customer-service window?"""
    if msg_type != "event":
        return not msg_type.startswith("device_")
    return (event or "").lower() in INTERACTIVE_EVENTS


def service_window_open(last_interaction_at: datetime | None, now: datetime) -> bool:
    """May a customer-service message reach this follower now (48 h after they last acted)?"""
    return last_interaction_at is not None and now - last_interaction_at < SERVICE_WINDOW


def check_content(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload, normalised; InvalidOutboundContent when it does not fit `kind`."""
    if kind not in KINDS:
        raise InvalidOutboundContent(f"kind is one of {', '.join(KINDS)}, not {kind!r}")
    if not isinstance(payload, dict):
        raise InvalidOutboundContent("the payload is a JSON object")
    if kind == "template":
        return template_payload(payload)
    checked: dict[str, Any] = (
        {"content": text(payload.get("content"), "content", MAX_TEXT)}
        if kind == "text"
        else {"articles": [article(a) for a in articles(payload.get("articles"))]}
    )
    if payload.get("template") is not None:
        checked["template"] = template_payload(payload["template"])
    return checked


def template_for(
    kind: str, payload: dict[str, Any], notice_template_id: str | None
) -> Template | None:
    """The template message that carries this content, or None when there is none."""
    source = payload if kind == "template" else payload.get("template")
    if source:
        return Template(source["template_id"], source["data"], source.get("url"))
    if not notice_template_id:
        return None
    if kind == "text":
        first, body, url = "您有一条新消息", payload["content"], None
    else:
        item = payload["articles"][0]
        first, body, url = item["title"], item["description"] or item["title"], item["url"] or None
    data = {"first": first, "keyword1": body, "remark": "点击查看详情" if url else ""}
    return Template(notice_template_id, {k: {"value": v} for k, v in data.items()}, url)


def text(value: Any, name: str, limit: int = MAX_FIELD, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidOutboundContent(f"{name} is a non-empty string")
    if len(value) > limit:
        raise InvalidOutboundContent(f"{name} has at most {limit} characters")
    return value


def articles(value: Any) -> list[Any]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ARTICLES:
        raise InvalidOutboundContent(f"news carries 1 to {MAX_ARTICLES} articles")
    return value


def article(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidOutboundContent("an article is an object with title and url")
    url = text(value.get("url"), "article url", 1000, required=False)
    if url and not url.startswith(("http://", "https://")):
        raise InvalidOutboundContent("an article url starts with http:// or https://")
    return {
        "title": text(value.get("title"), "article title"),
        "description": text(value.get("description"), "description", 500, required=False),
        "url": url,
        "picurl": text(value.get("picurl") or value.get("image"), "picurl", 1000, required=False),
    }


def template_payload(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidOutboundContent("a template is an object with template_id and data")
    data = value.get("data")
    if not isinstance(data, dict) or not data:
        raise InvalidOutboundContent("template data is a non-empty object of fields")
    fields = {
        text(name, "template field name", 64): {
            "value": text(
                field.get("value") if isinstance(field, dict) else field,
                f"template field {name}",
                MAX_TEXT,
                required=False,
            )
        }
        for name, field in data.items()
    }
    checked: dict[str, Any] = {
        "template_id": text(value.get("template_id"), "template_id", 128),
        "data": fields,
    }
    if value.get("url"):
        checked["url"] = text(value["url"], "template url", 1000)
    return checked
