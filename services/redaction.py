"""Credentials out of log records, whoever logs them.

WeChat's API takes its credentials in the query string (`secret=`, `access_token=`,
OAuth `code=`), and HTTP clients log request URLs (urllib3 at DEBUG) and put them in
their exceptions' messages, which end up in tracebacks. Every record is redacted as it
is made: its message, and its traceback, which is rendered to text then and there.
"""

from __future__ import annotations

import logging
import re
from typing import Any

CREDENTIAL = re.compile(
    r"(?<![A-Za-z0-9_])((?:secret|appsecret|access_token|refresh_token|code|password|token)=)"
    r"[^&\s\"'<>)]+",
    re.IGNORECASE,
)
MASK = "[redacted]"
_formatter = logging.Formatter()


def redacted(text: str) -> str:
    """The text with the value of every credential-bearing URL parameter masked."""
    return CREDENTIAL.sub(rf"\g<1>{MASK}", text)


def redact(record: logging.LogRecord) -> None:
    """Mask credentials in a record's message and traceback, in place."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: the handler reports it when it formats
        return
    if (clean := redacted(message)) != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redacted(_formatter.formatException(record.exc_info))
        record.exc_info = None  # no handler may render the raw exception again


def install_log_redaction() -> None:
    """Redact every log record from now on (once per process; calling again is harmless)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        redact(record)
        return record

    redacting_factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
