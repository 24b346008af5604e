from datetime import timedelta
from uuid import uuid4

import pytest

from domain.autoreply import (
    InvalidReplyRule,
    ReplyRuleNotFound,
    Rulebook,
    RuleTerms,
)
from tests.domain.gwt import NOW, given, then, then_error, when

HELLO = {"type": "text", "content": "您好！"}


def added(rule_id, match="exact", keywords=("你好",), reply=HELLO, priority=0, **window):
    return (
        Rulebook.RuleAdded,
        {
            "rule_id": rule_id,
            "name": f"rule {rule_id}",
            "match": match,
            "keywords": list(keywords),
            "reply": reply,
            "priority": priority,
            "starts_at": window.get("starts_at"),
            "ends_at": window.get("ends_at"),
        },
    )


OPENED = (Rulebook.Opened, {})


def test_a_rule_is_added_with_its_terms_normalised():
    book = given(Rulebook, OPENED, id=Rulebook.id_for())
    rule_id = uuid4()
    events = when(
        book, lambda b: b.add_rule(rule_id, RuleTerms(" 问候 ", "exact", [" 你好 "], HELLO))
    )
    then(events, (Rulebook.RuleAdded, {"rule_id": rule_id, "name": "问候", "keywords": ["你好"]}))


@pytest.mark.parametrize(
    "terms",
    [
        RuleTerms("x", "fuzzy", ["a"], HELLO),
        RuleTerms("x", "exact", [], HELLO),
        RuleTerms("x", "subscribe", ["a"], HELLO),
        RuleTerms("x", "regex", ["(a+)+$"], HELLO),
        RuleTerms("x", "regex", ["(unclosed"], HELLO),
        RuleTerms("x", "exact", ["a"], {"type": "text", "content": ""}),
        RuleTerms("x", "exact", ["a"], {"type": "coupon", "campaign_id": "not-a-uuid"}),
        RuleTerms(
            "x", "exact", ["a"], {"type": "coupon", "campaign_id": str(uuid4()), "text": "{nope}"}
        ),
        RuleTerms("x", "exact", ["a"], HELLO, starts_at=NOW, ends_at=NOW),
    ],
)
def test_inconsistent_rules_are_refused(terms):
    book = given(Rulebook, OPENED)
    then_error(book, lambda b: b.add_rule(uuid4(), terms), InvalidReplyRule)


@pytest.mark.parametrize(
    ("match", "keywords", "text", "hit"),
    [
        ("exact", ["你好"], " 你好 ", True),
        ("exact", ["你好"], "你好啊", False),
        ("exact", ["Menu"], "ＭＥＮＵ", True),  # full-width and case do not matter
        ("contains", ["发票"], "请问可以开发票吗", True),
        ("contains", ["发票"], "退货", False),
        ("regex", [r"^\d{11}$"], "13800138000", True),
        ("regex", [r"^\d{11}$"], "1380013800", False),
    ],
)
def test_rules_match_exactly_by_containment_or_by_pattern(match, keywords, text, hit):
    book = given(Rulebook, OPENED, added(rule_id := uuid4(), match, keywords))
    found = book.match("text", text, NOW)
    assert (found.id if found else None) == (rule_id if hit else None)


def test_the_highest_priority_wins_then_the_oldest():
    low, high, also_high = uuid4(), uuid4(), uuid4()
    book = given(
        Rulebook,
        OPENED,
        added(low, "contains", ["券"]),
        added(high, "contains", ["领券"], priority=5),
        added(also_high, "exact", ["领券"], priority=5),
    )
    assert book.match("text", "领券", NOW).id == high


def test_a_rule_outside_its_window_answers_nothing():
    rule_id = uuid4()
    book = given(Rulebook, OPENED, added(rule_id, starts_at=NOW, ends_at=NOW + timedelta(hours=1)))
    assert book.match("text", "你好", NOW - timedelta(seconds=1)) is None
    assert book.match("text", "你好", NOW).id == rule_id
    assert book.match("text", "你好", NOW + timedelta(hours=1)) is None


def test_click_and_subscribe_rules_only_answer_their_own_kind():
    click, welcome = uuid4(), uuid4()
    book = given(
        Rulebook, OPENED, added(click, "click", ["MENU_HOURS"]), added(welcome, "subscribe", [])
    )
    assert book.match("click", "MENU_HOURS", NOW).id == click
    assert book.match("text", "MENU_HOURS", NOW) is None
    assert book.match("subscribe", "", NOW).id == welcome


def test_the_kill_switch_pauses_a_rule_at_once_and_twice_is_harmless():
    rule_id = uuid4()
    book = given(Rulebook, OPENED, added(rule_id))
    then(when(book, lambda b: b.pause(rule_id, NOW)), (Rulebook.RulePaused, {"rule_id": rule_id}))
    assert book.match("text", "你好", NOW) is None
    then(when(book, lambda b: b.pause(rule_id, NOW)))
    then(when(book, lambda b: b.resume(rule_id, NOW)), (Rulebook.RuleResumed, {}))
    assert book.match("text", "你好", NOW).id == rule_id


def test_pausing_an_unknown_rule_is_not_found():
    then_error(given(Rulebook, OPENED), lambda b: b.pause(uuid4(), NOW), ReplyRuleNotFound)
