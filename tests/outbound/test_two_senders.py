"""Two senders on one outbox (PostgreSQL): each attempt is recorded once, each message sent once."""

import threading
import time
from collections import Counter

import pytest

from services.outbound.wechat import WeChatGateway
from tests.outbound.conftest import wired

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def database_url(postgres_url):
    return postgres_url


def test_two_senders_racing_for_the_same_messages_send_each_once(settings, clock, fake, new_sender):
    fake.fail_every = 4
    apps = [wired(settings, clock) for _ in range(2)]
    openids = [f"o-race-{i}" for i in range(40)]
    for openid in openids:
        apps[0].follow(openid)
        apps[0].queue_outbound(openid, "text", {"content": "x"}, f"race:{openid}")
    gateways = [Counting(WeChatGateway.from_settings(settings)) for _ in apps]
    senders = [
        new_sender(app, gateway, rate=10_000) for app, gateway in zip(apps, gateways, strict=True)
    ]
    stop = threading.Event()
    threads = [threading.Thread(target=s.run_forever, args=(stop,)) for s in senders]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    try:
        while len(fake.counts()) < len(openids) and time.monotonic() < deadline:
            clock.advance(minutes=5)  # retries fall due
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for app in apps:
            app.close()
    assert fake.counts() == Counter({openid: 1 for openid in openids})
    assert all(gateway.sends for gateway in gateways)  # both took part


class Counting:
    def __init__(self, gateway: WeChatGateway) -> None:
        self.gateway, self.sends = gateway, 0

    def send(self, order):
        self.sends += 1
        return self.gateway.send(order)
