from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.scenes import Scene, UnknownScene, parse_scene

ID = UUID("1d083454-3cba-4981-a321-62e30f666bdb")


@pytest.mark.parametrize("kind", ["store", "campaign"])
def test_a_store_or_campaign_scene_names_its_id(kind):
    scene = parse_scene(f"{kind}:{ID}")
    assert scene == Scene(kind, str(ID))
    assert scene.uuid == ID
    assert str(scene) == f"{kind}:{ID}"


def test_an_id_in_another_spelling_is_made_canonical():
    assert parse_scene(f" store:{ID.hex.upper()} ") == Scene("store", str(ID))


def test_a_ref_scene_names_its_share_token():
    scene = parse_scene("ref:ABCDEFGHJKMN")
    assert scene == Scene("ref", "ABCDEFGHJKMN")
    assert str(scene) == "ref:ABCDEFGHJKMN"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "store",
        "store:",
        "store:42",
        "campaign:not-a-uuid",
        "ref:",
        "ref",
        f"member:{ID}",
        f"STORE:{ID}",
        str(ID),
    ],
)
def test_other_scenes_are_refused(text):
    with pytest.raises(UnknownScene):
        parse_scene(text)


def test_an_unknown_scene_is_invalid_input():
    assert issubclass(UnknownScene, InvalidInput)
