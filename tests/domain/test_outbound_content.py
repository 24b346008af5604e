from datetime import timedelta

import pytest

from domain.outbound_content import (
    InvalidOutboundContent,
    check_content,
    opens_service_window,
    service_window_open,
    template_for,
)
from tests.domain.gwt import NOW

ARTICLE = {"title": "新品", "url": "https://brand.example/new", "image": "https://img/1.png"}


def test_the_service_window_is_48_hours_after_the_last_interaction():
    assert service_window_open(NOW - timedelta(hours=47, minutes=59), NOW)
    assert not service_window_open(NOW - timedelta(hours=48), NOW)
    assert not service_window_open(None, NOW)


def test_what_opens_the_window_follows_wechats_list():
    assert opens_service_window("text", None) and opens_service_window("image", None)
    for event in ("subscribe", "SCAN", "CLICK", "scancode_push"):
        assert opens_service_window("event", event)
    for event in ("unsubscribe", "VIEW", "LOCATION", "TEMPLATESENDJOBFINISH"):
        assert not opens_service_window("event", event)


def test_news_keeps_its_articles_and_maps_image_to_picurl():
    checked = check_content("news", {"articles": [ARTICLE]})
    assert checked["articles"][0]["picurl"] == "https://img/1.png"


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("text", {"content": "  "}),
        ("news", {"articles": []}),
        ("news", {"articles": [{"title": "x", "url": "ftp://x"}]}),
        ("template", {"template_id": "T", "data": {}}),
        ("voice", {"content": "x"}),
    ],
)
def test_content_that_does_not_fit_is_refused(kind, payload):
    with pytest.raises(InvalidOutboundContent):
        check_content(kind, payload)


def test_text_falls_back_to_the_notice_template():
    template = template_for("text", {"content": "到店有礼"}, "NOTICE")
    assert template.template_id == "NOTICE"
    assert template.data["keyword1"] == {"value": "到店有礼"}
    assert template_for("text", {"content": "x"}, None) is None


def test_a_payloads_own_template_wins():
    own = {"template_id": "OWN", "data": {"first": {"value": "a"}}, "url": "https://x"}
    payload = check_content("news", {"articles": [ARTICLE], "template": own})
    assert template_for("news", payload, "NOTICE").template_id == "OWN"
