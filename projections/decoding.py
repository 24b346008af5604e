"""Decoding stored events for the views: the application's mapper, with a faster transcoder.

Decoding was the largest single cost of a rebuild (~28 µs an event): the library's
JSON transcoder calls a Python hook for every object and builds each UUID through
`UUID.__init__`; the views then spend as much again on `str(uuid)`, ~2.5 times per
id. `ReadingTranscoder` decodes the same JSON into the same values (~12 µs): its
hook turns the two transcodings every event uses — `uuid_hex` and `datetime_iso` —
into values directly, each UUID a `TextUUID` that already knows its text, and hands
any other to the transcoding registered for it. The runner reads through a copy of
the application's own mapper with this transcoder, so whatever the mapper adds
(personal fields it opens, ciphers, upcasting) still applies: there is one decoding
path, producing real domain events.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any
from uuid import UUID, SafeUUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    Transcoding,
    UUIDAsHex,
)

_new = object.__new__
_set = object.__setattr__
_UNKNOWN_SAFETY = SafeUUID.unknown  # (an enum member's lookup is slow)


class TextUUID(UUID):
    """A UUID that keeps its canonical text: `str()` of it costs nothing."""

    __slots__ = ("text",)

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple:
        return UUID, (self.text,)  # copies and pickles are plain UUIDs


def text_uuid(digits: str) -> UUID:
    """UUID(digits) for the 32 hex digits UUID.hex gives, without UUID.__init__'s parsing."""
    if len(digits) != 32:
        return UUID(digits)
    value = _new(TextUUID)
    _set(value, "int", int(digits, 16))
    _set(value, "is_safe", _UNKNOWN_SAFETY)
    text = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    _set(value, "text", text)
    return value


class ReadingTranscoder(JSONTranscoder):
    """Decodes like the transcoder it copies, faster for UUIDs and datetimes."""

    def __init__(self, original: JSONTranscoder) -> None:
        super().__init__()
        for transcoding in original.names.values():
            self.register(transcoding)
        self.direct = {
            name: fast
            for name, library, fast in (
                ("uuid_hex", UUIDAsHex, text_uuid),
                ("datetime_iso", DatetimeAsISO, datetime.fromisoformat),
            )
            if type(self.names.get(name)) is library
        }
        self.decoder = json.JSONDecoder(object_hook=self._decode_value)

    def _decode_value(self, obj: dict[str, Any]) -> Any:
        name = obj.get("_type_")
        if name is None or len(obj) != 2 or "_data_" not in obj:
            return obj
        fast = self.direct.get(name)
        if fast is not None:
            return fast(obj["_data_"])
        transcoding: Transcoding | None = self.names.get(name)
        return transcoding.decode(obj["_data_"]) if transcoding else self._decode_obj(obj)


def reading_mapper(mapper: Mapper) -> Mapper:
    """The application's mapper, reading with a `ReadingTranscoder` when it uses JSON."""
    if not isinstance(mapper.transcoder, JSONTranscoder):
        return mapper
    reader = copy.copy(mapper)
    reader.transcoder = ReadingTranscoder(mapper.transcoder)
    return reader
