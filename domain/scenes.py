"""QR scenes: where a follower came from (`store:<id>`, `campaign:<id>`, `ref:<token>`)."""

from dataclasses import dataclass
from uuid import UUID

from domain.errors import InvalidInput


class UnknownScene(InvalidInput):
    """The scene string is not one Lianjie issues."""

    slug = "unknown-scene"
    title = "Unknown QR scene"


@dataclass(frozen=True)
class Scene:
    """A parsed scene: its kind (store, campaign, ref) and value."""

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def uuid(self) -> UUID:
        return UUID(self.value)


def parse_scene(text: str) -> Scene:
    """Parse `store:<uuid>`, `campaign:<uuid>` or `ref:<token>`."""
    kind, _, value = text.strip().partition(":")
    if kind in ("store", "campaign"):
        try:
            return Scene(kind, str(UUID(value)))
        except ValueError:
            raise UnknownScene(f"{text!r} does not name a {kind} id") from None
    if kind == "ref" and value:
        return Scene(kind, value)
    raise UnknownScene(f"{text!r} is not a store, campaign or ref scene")
