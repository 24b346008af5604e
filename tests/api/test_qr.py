"""QR codes decoded back with zxing-cpp: posters, member cards, coupons."""

import io
import re
import xml.etree.ElementTree as ET

import zxingcpp
from PIL import Image, ImageDraw

from tests.api.conftest import assert_problem

SVG = "{http://www.w3.org/2000/svg}"


def decode(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def rasterise_qr_path(svg: str) -> Image.Image:
    """Draw the poster's QR path (unit squares in module coordinates) as pixels."""
    path = next(e for e in ET.fromstring(svg).iter(f"{SVG}path"))
    runs = re.findall(r"M(\d+) (\d+)h(\d+)", path.get("d"))
    side = max(int(y) for _, y, _ in runs) + 5  # the last dark row plus the quiet zone
    image = Image.new("L", (side * 8, side * 8), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in ((int(a), int(b), int(c)) for a, b, c in runs):
        draw.rectangle((x * 8, y * 8, (x + width) * 8 - 1, y * 8 + 7), fill=0)
    return image


def test_the_store_poster_png_encodes_the_follow_link(client, operator, store):
    response = client.get(f"/api/stores/{store['id']}/poster.png", headers=operator)
    assert (response.status_code, response.headers["content-type"]) == (200, "image/png")
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1748, 2480)  # A5 at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    assert decode(response.content) == [store["follow_url"]]


def test_the_store_poster_svg_names_the_store_and_encodes_the_follow_link(client, operator, store):
    response = client.get(f"/api/stores/{store['id']}/poster.svg", headers=operator)
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    assert (root.get("width"), root.get("height")) == ("148mm", "210mm")
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert store["name"] in texts and store["follow_url"] in texts
    found = zxingcpp.read_barcodes(rasterise_qr_path(response.text))
    assert [result.text for result in found] == [store["follow_url"]]


def test_the_member_card_image_is_accepted_at_the_till(client, staff, follower):
    response = client.get("/api/me/card.png", headers=follower.headers)
    assert response.headers["cache-control"] == "no-store"
    (payload,) = decode(response.content)
    assert payload.startswith("M1.") and len(payload) <= 60
    scan = client.post("/api/till/scan", json={"code": payload}, headers=staff)
    assert scan.json()["member"]["id"] == str(follower.member_id)


def test_a_member_card_payload_lives_between_one_and_two_steps(client, staff, follower, clock):
    (payload,) = decode(client.get("/api/me/card.png", headers=follower.headers).content)
    clock.advance(seconds=60)  # the next step: still accepted
    assert client.post("/api/till/scan", json={"code": payload}, headers=staff).status_code == 200
    clock.advance(seconds=60)  # two steps on: refused
    refused = client.post("/api/till/scan", json={"code": payload}, headers=staff)
    assert_problem(refused, 404, "code-not-recognised")


def test_a_tampered_member_card_is_refused(client, staff, follower, app):
    payload = client.get("/api/me/card", headers=follower.headers).json()["payload"]
    prefix, member, step, signature = payload.split(".")
    forged = ".".join([prefix, member, str(int(step) + 1), signature])
    refused = client.post("/api/till/scan", json={"code": forged}, headers=staff)
    assert_problem(refused, 404, "code-not-recognised")


def test_the_coupon_image_encodes_the_code(client, follower, coupon, staff):
    response = client.get(f"/api/me/coupons/{coupon}.png", headers=follower.headers)
    assert decode(response.content) == [coupon]
    assert client.post(f"/api/till/coupons/{coupon}/redeem", headers=staff).status_code == 200
