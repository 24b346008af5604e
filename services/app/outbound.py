"""Outbound use cases in one mixin: the outbox, targeted pushes and parametric QR codes."""

from services.app.pushes import PushUseCases
from services.app.qrcodes import QrUseCases


class OutboundUseCases(PushUseCases, QrUseCases):
    """What Lianjie sends through WeChat's API: messages, pushes, QR codes."""
