"""Read-your-writes over HTTP: every answer to a write carries its log position.

`Lianjie-Position: <n>` on a response means "the views show this once they reach n";
a later read sends it back as `Lianjie-After: <n>` and waits (bounded) for that.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.app.base import REQUEST_WRITES

POSITION_HEADER = b"lianjie-position"


class WritePositionMiddleware:
    """Collects the log positions a request wrote and puts the highest in a header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        writes: list[int] = []
        token = REQUEST_WRITES.set(writes)

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start" and writes:
                headers = list(message.get("headers", []))
                headers.append((POSITION_HEADER, str(max(writes)).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_position)
        finally:
            REQUEST_WRITES.reset(token)
