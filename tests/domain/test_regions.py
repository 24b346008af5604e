import pytest

from domain.member import Member
from domain.regions import distance_km, region_at
from tests.domain.gwt import NOW, given, then, when


def followed():
    return (
        Member.Followed,
        {
            "openid": "o-1",
            "scene": None,
            "store_id": None,
            "campaign_id": None,
            "referrer_id": None,
            "share_token": None,
            "at": NOW,
        },
    )


@pytest.mark.parametrize(
    ("latitude", "longitude", "region"),
    [
        (31.82, 117.23, "合肥"),
        (38.05, 114.50, "河北"),
        (30.66, 104.06, "西南"),
        (29.60, 106.50, "西南"),
        (22.55, 114.10, "华南"),
        (45.75, 126.65, None),  # 哈尔滨: far from every region
    ],
)
def test_a_location_falls_in_the_region_of_the_nearest_city(latitude, longitude, region):
    assert region_at(latitude, longitude) == region


def test_distances_are_great_circle_kilometres():
    assert round(distance_km((31.23, 121.47), (39.90, 116.41))) == 1067  # 上海 - 北京


def test_a_detected_region_places_the_member():
    member = given(Member, followed())
    then(
        when(member, lambda m: m.detect_region("合肥")), (Member.RegionDetected, {"region": "合肥"})
    )


def test_the_same_region_again_records_nothing():
    member = given(Member, followed(), (Member.RegionDetected, {"region": "合肥"}))
    then(when(member, lambda m: m.detect_region("合肥")))
