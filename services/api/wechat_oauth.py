"""WeChat web OAuth (网页授权): exchange the `code` WeChat hands a page for the visitor's openid."""

from __future__ import annotations

from typing import Any

import requests
from wechatpy import WeChatOAuth
from wechatpy.exceptions import WeChatOAuthException

from domain.errors import DomainError
from services.settings import Settings

TIMEOUT_SECONDS = 5


class WeChatLoginFailed(DomainError):
    """WeChat did not accept the OAuth code (expired, used already or forged)."""

    slug = "wechat-login-failed"
    title = "WeChat login failed"


class WeChatUnavailable(DomainError):
    """WeChat's OAuth server could not be reached."""

    slug = "wechat-unavailable"
    title = "WeChat unavailable"


class TimedOAuth(WeChatOAuth):
    """wechatpy's client with a timeout on every call and a configurable API base."""

    def __init__(self, api_base: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.API_BASE_URL = api_base if api_base.endswith("/") else api_base + "/"

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super()._request(method, url_or_endpoint, **kwargs)


class WeChatLogin:
    """Turns OAuth codes into openids with the Official Account's appid and secret."""

    def __init__(self, appid: str, secret: str, api_base: str, redirect_uri: str) -> None:
        self.appid = appid
        self.secret = secret
        self.api_base = api_base
        self.redirect_uri = redirect_uri

    @classmethod
    def from_settings(cls, settings: Settings) -> WeChatLogin | None:
        """The client, or None when LIANJIE_WECHAT_APPID/SECRET are not both set."""
        if not (settings.wechat_appid and settings.wechat_secret):
            return None
        redirect = f"{settings.public_url.rstrip('/')}/api/auth/wechat/callback"
        secret = settings.wechat_secret.get_secret_value()
        return cls(settings.wechat_appid, secret, settings.wechat_api_base, redirect)

    def openid_for(self, code: str) -> str:
        """The openid of the visitor who was handed `code`."""
        client = TimedOAuth(self.api_base, self.appid, self.secret, self.redirect_uri)
        try:
            answer = client.fetch_access_token(code)
        except WeChatOAuthException as refused:
            if refused.errcode is None:  # an HTTP failure, not WeChat's verdict
                raise WeChatUnavailable("WeChat's OAuth server answered with an error") from None
            raise WeChatLoginFailed(f"WeChat refused the code: {refused.errmsg}") from None
        except (requests.RequestException, ValueError, KeyError):
            raise WeChatUnavailable("WeChat's OAuth server could not be reached") from None
        return str(answer["openid"])
