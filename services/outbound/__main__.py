"""`python -m services.outbound`: the sender as a process of its own (SIGTERM/SIGINT stop it)."""

from __future__ import annotations

import logging
import signal
import sys
from threading import Event

from services.bootstrap import bootstrap
from services.outbound.sender import sender_from_settings
from services.settings import Settings


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings()
    app = bootstrap(settings)
    try:
        sender = sender_from_settings(app, settings)
        if sender is None:
            print("LIANJIE_WECHAT_APPID and LIANJIE_WECHAT_SECRET are not set: nothing to send")
            return 2
        stop = Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        sender.run_forever(stop)
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
