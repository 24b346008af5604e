"""The WeChat adapter: the Official Account's callback (GET/POST /wechat/callback)."""

from services.wechat.callback import include_wechat, wechat_router

__all__ = ["include_wechat", "wechat_router"]
