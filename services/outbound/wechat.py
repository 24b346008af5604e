"""wechatpy's WeChatClient, pointed at a configurable API base, behind the outbox's gateway.

Every send ends in one of three outcomes, because only two of them are certain:
`sent` (errcode 0), `refused` (WeChat answered with an errcode, or the request
never left this machine: nothing reached the follower) and `unclear` (the request
may have reached WeChat: a read timeout, a dropped connection, a 5xx).
Connections are not kept alive, so a stale pooled connection can never turn a
plain retry into an `unclear` send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from optionaldict import optionaldict
from urllib3.exceptions import NewConnectionError
from wechatpy import WeChatClient
from wechatpy.client.api import WeChatMessage
from wechatpy.exceptions import WeChatClientException

from services.app.outbox import SendOrder
from services.app.qrcodes import IssuedQr, WeChatQrUnavailable
from services.settings import Settings

NOT_SENT = (
    requests.exceptions.ConnectTimeout,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


class TemplateMessages(WeChatMessage):
    """wechatpy's message API, with the template send's `client_msg_id` (de-duplication)."""

    def send_template(  # type: ignore[override]
        self,
        user_id: str,
        template_id: str,
        data: dict[str, Any],
        url: str | None = None,
        mini_program: dict[str, str] | None = None,
        client_msg_id: str | None = None,
    ) -> dict[str, Any]:
        body = optionaldict(
            touser=user_id,
            template_id=template_id,
            url=url,
            miniprogram=mini_program,
            client_msg_id=client_msg_id,
            data=data,
        )
        return self._post("message/template/send", data=body)


class FreshConnections(requests.Session):
    """A session with a timeout on every call and no kept-alive connections."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.headers["Connection"] = "close"

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


class OutboxWeChatClient(WeChatClient):
    """WeChatClient whose API base (token included) comes from settings."""

    message = TemplateMessages()

    def __init__(self, appid: str, secret: str, api_base: str, timeout: float = 10.0) -> None:
        super().__init__(appid, secret, timeout=timeout)
        self.API_BASE_URL = api_base.rstrip("/") + "/cgi-bin/"
        self._http = FreshConnections(timeout)

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


@dataclass(frozen=True)
class SendResult:
    outcome: str  # sent, refused or unclear
    msgid: str | None = None
    errcode: int | None = None
    errmsg: str = ""


def never_sent(error: requests.RequestException) -> bool:
    """Did this error happen before any byte of the request could reach WeChat?"""
    if isinstance(error, NOT_SENT):
        return True
    if isinstance(error, requests.exceptions.ConnectionError) and error.args:
        return isinstance(getattr(error.args[0], "reason", None), NewConnectionError)
    return False


def api_failure(error: WeChatClientException) -> SendResult:
    if error.errcode is not None:
        return SendResult("refused", errcode=int(error.errcode), errmsg=str(error.errmsg))
    status = getattr(error.response, "status_code", None)
    outcome = "unclear" if status is None or status >= 500 else "refused"
    return SendResult(outcome, errmsg=f"HTTP {status}")


class WeChatGateway:
    """Sends outbox orders and creates QR codes through one WeChatClient."""

    def __init__(self, client: WeChatClient) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> WeChatGateway | None:
        """The gateway, or None when LIANJIE_WECHAT_APPID/SECRET are not both set."""
        if not (settings.wechat_appid and settings.wechat_secret):
            return None
        client = OutboxWeChatClient(
            settings.wechat_appid,
            settings.wechat_secret.get_secret_value(),
            settings.wechat_api_base,
            settings.wechat_timeout_seconds,
        )
        return cls(client)

    def send(self, order: SendOrder) -> SendResult:
        """Make one recorded attempt: it surely went, surely did not, or maybe went."""
        try:
            _ = self.client.access_token  # a token failure happens before anything is sent
        except WeChatClientException as error:
            return SendResult("refused", errcode=error.errcode, errmsg=f"token: {error.errmsg}")
        except requests.RequestException as error:
            return SendResult("refused", errmsg=f"token: {type(error).__name__}")
        try:
            answer = self.post(order)
        except WeChatClientException as error:
            return api_failure(error)
        except requests.RequestException as error:
            outcome = "refused" if never_sent(error) else "unclear"
            return SendResult(outcome, errmsg=type(error).__name__)
        msgid = answer.get("msgid") if isinstance(answer, dict) else None
        return SendResult("sent", msgid=None if msgid is None else str(msgid))

    def post(self, order: SendOrder) -> Any:
        message = self.client.message
        if order.channel == "template":
            template = order.template
            return message.send_template(
                order.openid,
                template.template_id,
                template.data,
                url=template.url,
                client_msg_id=order.client_msg_id,
            )
        if order.kind == "text":
            return message.send_text(order.openid, order.payload["content"])
        # A customer-service news message carries one article (WeChat: 45008 for more).
        return message.send_articles(order.openid, order.payload["articles"][:1])

    def create_qrcode(self, scene: str, expire_seconds: int | None) -> IssuedQr:
        """A permanent (no expiry) or temporary parametric QR code for a string scene."""
        body: dict[str, Any] = {"action_info": {"scene": {"scene_str": scene}}}
        if expire_seconds is None:
            body["action_name"] = "QR_LIMIT_STR_SCENE"
        else:
            body.update(action_name="QR_STR_SCENE", expire_seconds=expire_seconds)
        try:
            answer = self.client.qrcode.create(body)
        except WeChatClientException as error:
            raise WeChatQrUnavailable(f"qrcode/create: {error.errcode} {error.errmsg}") from None
        except requests.RequestException as error:
            raise WeChatQrUnavailable(f"qrcode/create: {type(error).__name__}") from None
        expires = answer.get("expire_seconds")
        return IssuedQr(answer["ticket"], answer["url"], int(expires) if expires else None)
