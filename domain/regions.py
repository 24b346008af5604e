"""Which of the brand's regions a WeChat LOCATION falls in: the nearest reference city.

The playbook segments followers by region (合肥 / 河北 / 西南 …). A location is placed
in the region of the nearest reference city within MAX_DISTANCE_KM; farther away it
is in none of them.
"""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

MAX_DISTANCE_KM = 300.0
EARTH_RADIUS_KM = 6371.0
REFERENCE_CITIES: dict[str, list[tuple[float, float]]] = {
    "合肥": [(31.82, 117.23)],
    "河北": [(38.04, 114.51), (39.63, 118.18), (38.87, 115.46)],  # 石家庄, 唐山, 保定
    "西南": [(30.57, 104.07), (29.56, 106.55), (25.04, 102.71), (26.65, 106.63)],
    "上海": [(31.23, 121.47)],
    "北京": [(39.90, 116.41)],
    "华南": [(23.13, 113.26), (22.54, 114.06)],  # 广州, 深圳
}


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(radians, (*a, *b))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))


def region_at(latitude: float, longitude: float) -> str | None:
    """The region of the nearest reference city, if one is within MAX_DISTANCE_KM."""
    here = (latitude, longitude)
    distance, region = min(
        (distance_km(here, city), region)
        for region, cities in REFERENCE_CITIES.items()
        for city in cities
    )
    return region if distance <= MAX_DISTANCE_KM else None
