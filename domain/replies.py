"""Passive replies: what WeChat shows a follower in answer to a push (text or news)."""

from __future__ import annotations

from typing import Any

from domain.errors import InvalidInput

MAX_TEXT = 2000  # characters of a passive text reply
MAX_ARTICLES = 8  # WeChat shows at most 8 articles in a passive news reply


class InvalidReply(InvalidInput):
    """A reply is not one WeChat can show (empty text, no articles, too many)."""

    slug = "invalid-reply"
    title = "Invalid reply"


def text_reply(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def news_reply(articles: list[dict[str, str]]) -> dict[str, Any]:
    return {"type": "news", "articles": articles}


def check_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """A passive reply WeChat can show: text, or 1 to 8 articles each with a title."""
    kind = reply.get("type")
    if kind == "text":
        content = reply.get("content")
        if not isinstance(content, str) or not content.strip() or len(content) > MAX_TEXT:
            raise InvalidReply(f"a text reply has 1 to {MAX_TEXT} characters")
        return text_reply(content)
    if kind == "news":
        articles = reply.get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= MAX_ARTICLES:
            raise InvalidReply(f"a news reply has 1 to {MAX_ARTICLES} articles")
        return news_reply([check_article(article) for article in articles])
    raise InvalidReply("a passive reply is text or news")


def check_article(article: Any) -> dict[str, str]:
    if not isinstance(article, dict) or not str(article.get("title", "")).strip():
        raise InvalidReply("every article has a title")
    url, image = str(article.get("url", "")), str(article.get("image", ""))
    for link in (url, image):
        if link and not link.startswith(("http://", "https://")):
            raise InvalidReply("article links are http:// or https:// URLs")
    return {
        "title": str(article["title"]),
        "description": str(article.get("description", "")),
        "url": url,
        "image": image,
    }
