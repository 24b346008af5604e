"""Device fingerprints for referral fraud: a keyed hash of the caller's IP and browser.

WeChat's pushes carry no IP or device, so the only places that see one are the pages a
browser opens: the invitation landing page and the follower's own API calls. The hash
is keyed with the server's card secret, so the event log holds neither the IP nor the
User-Agent, and neither can be guessed back from it (IPv4 is small enough to try all).
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from services.api.deps import ApiContext, client_address

DEVICE_HEX_DIGITS = 24  # 96 bits: collisions between devices are not a concern


def device_of(request: Request, context: ApiContext) -> str:
    """The same IP and browser always give the same device; the hash reveals neither."""
    seen = f"device\n{client_address(request)}\n{request.headers.get('user-agent', '')}"
    digest = hmac.new(context.cards.secret, seen.encode(), hashlib.sha256).hexdigest()
    return digest[:DEVICE_HEX_DIGITS]
