"""GET/POST /wechat/callback: WeChat's server check and its pushes, answered within 5 s.

The route checks the push (size, signature, ciphertext, XML) on the event loop in
microseconds, then hands it to the application on a thread of its own. When the
application has decided within `reply_within` seconds, the passive reply goes back
in the response; otherwise the answer is `success` (WeChat shows nothing and does
not retry) and, once the work is done, the reply is recorded as deferred for the
outbox to send. After `success` the push is this process's to finish: work that meets a
storage fault (the database went away mid-push) is tried again, for about two minutes,
since WeChat never will.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from domain.errors import DomainError
from domain.inbound import Inbound
from services.app import Lianjie
from services.app.turns import InboundAnswer
from services.settings import Settings
from services.storage import storage_fault
from services.wechat.operator import operator_router
from services.wechat.protocol import (
    MAX_BODY,
    BadBody,
    CallbackKeys,
    CallbackQuery,
    Rejected,
    inbound_from,
    render_reply,
)

log = logging.getLogger(__name__)
PATH = "/wechat/callback"
PROBLEM_BASE = "https://lianjie.example/problems/"
REPLY_WITHIN = 4.0  # seconds: WeChat gives up after 5 and retries
LATE_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)  # about two minutes in all


def include_wechat(
    api: FastAPI,
    application: Lianjie,
    settings: Settings,
    *,
    operator: Callable[..., Any] | None = None,
    reply_within: float = REPLY_WITHIN,
    workers: int = 8,
    late_retry_delays: Sequence[float] = LATE_RETRY_DELAYS,
) -> None:
    """Serve GET/POST /wechat/callback on `api`; with `operator` (a dependency that lets
    only operators through and returns their principal), also the /api/wechat routes."""
    api.include_router(
        wechat_router(application, settings, reply_within, workers, late_retry_delays)
    )
    if operator is not None:
        api.include_router(operator_router(application, operator))


def wechat_router(
    application: Lianjie,
    settings: Settings,
    reply_within: float = REPLY_WITHIN,
    workers: int = 8,
    late_retry_delays: Sequence[float] = LATE_RETRY_DELAYS,
) -> APIRouter:
    """The callback routes; WeChat's keys come from the settings."""
    keys = CallbackKeys.from_settings(settings)
    if not keys.token:
        log.warning("LIANJIE_WECHAT_TOKEN is not set: every WeChat push will be refused")
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wechat")
    late = LatePushes(application, pool, late_retry_delays)
    router = APIRouter(tags=["wechat"])

    @router.get(PATH, response_class=PlainTextResponse)
    async def verify(
        request: Request,
        signature: str = "",
        timestamp: str = "",
        nonce: str = "",
        echostr: str = "",
    ) -> Response:
        """WeChat's server check: echoes `echostr` when the signature is valid, else 403."""
        try:
            keys.check(CallbackQuery(signature, timestamp, nonce))
        except Rejected as rejected:
            return problem(request, rejected)
        return PlainTextResponse(echostr)

    @router.post(PATH, response_class=PlainTextResponse)
    async def receive(
        request: Request,
        signature: str = "",
        timestamp: str = "",
        nonce: str = "",
        encrypt_type: str = "",
        msg_signature: str = "",
    ) -> Response:
        """A message or event from WeChat (plain or safe mode): recorded once, maybe answered."""
        query = CallbackQuery(signature, timestamp, nonce, encrypt_type, msg_signature)
        try:
            body = await capped_body(request)
            keys.check(query)
            inbound = inbound_from(keys.open(query, body))
        except Rejected as rejected:
            return problem(request, rejected)
        work = pool.submit(application.receive_wechat_message, inbound)
        answer = await answer_within(work, reply_within)
        if answer is None:
            late.finish(inbound, work)
            return PlainTextResponse("success")
        if answer.reply is None:
            return PlainTextResponse("success")
        now = str(int(application.now().timestamp()))
        xml = render_reply(answer.reply, inbound, int(now))
        return Response(keys.seal(xml, query, now), media_type="application/xml")

    return router


async def capped_body(request: Request) -> bytes:
    """The body, refused as soon as it passes MAX_BODY bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BadBody(f"bodies are at most {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BadBody(f"bodies are at most {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def answer_within(work: Future[InboundAnswer], seconds: float) -> InboundAnswer | None:
    """The application's answer if it comes in time; None otherwise (the work goes on)."""
    waiting = asyncio.wrap_future(work)
    done, _ = await asyncio.wait({waiting}, timeout=seconds)  # never cancels the work
    if not done:  # a late failure is LatePushes' to settle: asyncio must not log it again
        waiting.add_done_callback(lambda late: late.cancelled() or late.exception())
    return waiting.result() if done else None


class LatePushes:
    """Pushes answered `success` before their work was done: WeChat will not send them
    again, so their work is finished here. A reply decided too late goes to the outbox;
    work that meets a storage fault is tried again after each of `delays` (recording a
    push is idempotent: a try that did commit is found by the next one)."""

    def __init__(
        self, application: Lianjie, pool: ThreadPoolExecutor, delays: Sequence[float]
    ) -> None:
        self.application = application
        self.pool = pool
        self.delays = list(delays)

    def finish(self, inbound: Inbound, work: Future[InboundAnswer], tries: int = 1) -> None:
        # Off the event loop even if the work finished just now (the callback would then
        # run right here): finishing writes to the store.
        work.add_done_callback(lambda done: self.pool.submit(self.settle, inbound, done, tries))

    def settle(self, inbound: Inbound, done: Future[InboundAnswer], tries: int) -> None:
        error = done.exception()
        if error is None:
            self.defer_reply(done.result())
        elif storage_fault(error) is not None and tries <= len(self.delays):
            delay = self.delays[tries - 1]
            log.warning(
                "WeChat push %s met a storage fault; trying again in %g s", inbound.key, delay
            )
            again = threading.Timer(delay, self.try_again, (inbound, tries + 1))
            again.daemon = True
            again.start()
        else:
            # Nobody will send it again: log what is needed to replay the push.
            log.error("WeChat push %s failed after the window: %r %s", inbound.key, error, inbound)

    def try_again(self, inbound: Inbound, tries: int) -> None:
        self.finish(
            inbound, self.pool.submit(self.application.receive_wechat_message, inbound), tries
        )

    def defer_reply(self, answer: InboundAnswer) -> None:
        if answer.reply is None or answer.duplicate:
            return
        try:
            self.application.defer_wechat_reply(answer.message_key)
        except DomainError as refusal:
            log.warning("could not defer the reply to %s: %s", answer.message_key, refusal.slug)


def problem(request: Request, rejected: Rejected) -> JSONResponse:
    """A refusal as RFC 9457 problem+json; nothing was recorded."""
    log.info("WeChat callback refused (%s): %s", rejected.slug, rejected.detail)
    body = {
        "type": PROBLEM_BASE + rejected.slug,
        "title": rejected.title,
        "status": rejected.status,
        "detail": rejected.detail,
        "instance": request.url.path,
    }
    return JSONResponse(body, status_code=rejected.status, media_type="application/problem+json")
