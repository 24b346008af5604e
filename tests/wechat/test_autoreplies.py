"""Auto-replies through the callback: keyword rules, coupon replies, Q&A flows, the kill
switch, who got a rule's replies, and corrections."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.autoreply import InvalidReplyRule
from domain.campaign import CampaignNotFound, CampaignTerms, Reward
from domain.claim import Claim
from domain.correction import Correction
from domain.inbound import InboundMessage
from domain.member import Member
from domain.qaprogress import QaProgress

HOURS = {"type": "text", "content": "每天 10:00-22:00"}
REGULAR = {
    "prompt": "你是我们的老顾客吗？回复 A 是 B 不是",
    "options": {"A": "老顾客", "B": "新顾客"},
}
TASTE = {"prompt": "喜欢什么口味？回复 1 甜 2 咸", "options": {"1": "爱甜", "2": "爱咸"}}


def content(wechat, response) -> str | None:
    reply = wechat.reply(response)
    return reply["Content"] if reply else None


def coupon_campaign(app, stock=None, limit=1):
    terms = CampaignTerms(
        "关键词领券",
        "share_gift",
        Reward("coupon", "¥3 券", 300),
        stock=stock,
        per_member_limit=limit,
    )
    campaign = app.create_campaign(terms)
    app.start_campaign(campaign.id)
    return campaign


def test_exact_contains_and_regex_rules_answer_by_priority(app, wechat):
    app.create_reply_rule("营业时间", "exact", ["营业时间", "几点开门"], HOURS)
    app.create_reply_rule("发票", "contains", ["发票"], {"type": "text", "content": "小程序开票"})
    app.create_reply_rule("手机号", "regex", [r"^1\d{10}$"], {"type": "text", "content": "已记录"})
    app.create_reply_rule(
        "急", "contains", ["发票", "急"], {"type": "text", "content": "马上处理"}, priority=9
    )
    wechat.subscribe("o-1")
    assert content(wechat, wechat.text("o-1", "几点开门")) == HOURS["content"]
    assert content(wechat, wechat.text("o-1", "怎么开发票")) == "马上处理"
    assert content(wechat, wechat.text("o-1", "13800138000")) == "已记录"
    assert content(wechat, wechat.text("o-1", "营业时间是几点")) is None  # not exact


def test_a_news_reply_carries_its_articles(app, wechat):
    articles = [
        {
            "title": "双十一活动",
            "description": "全场 8.8 折",
            "url": "https://brand.example/1111",
            "image": "https://brand.example/1111.jpg",
        },
    ]
    app.create_reply_rule("活动", "exact", ["活动"], {"type": "news", "articles": articles})
    wechat.subscribe("o-1")
    reply = wechat.reply(wechat.text("o-1", "活动"))
    item = reply["Articles"]["item"]
    assert (reply["MsgType"], reply["ArticleCount"], item["Title"], item["Url"]) == (
        "news",
        "1",
        "双十一活动",
        "https://brand.example/1111",
    )


def test_a_rule_answers_only_inside_its_window(app, wechat, clock):
    app.create_reply_rule(
        "双十一", "exact", ["双十一"], HOURS, starts_at=clock.now + timedelta(hours=1)
    )
    wechat.subscribe("o-1")
    assert content(wechat, wechat.text("o-1", "双十一")) is None
    clock.advance(hours=1)
    assert content(wechat, wechat.text("o-1", "双十一")) == HOURS["content"]


def test_a_welcome_rule_answers_a_follow(app, wechat):
    app.create_reply_rule("欢迎", "subscribe", [], {"type": "text", "content": "欢迎关注！"})
    assert content(wechat, wechat.subscribe("o-1")) == "欢迎关注！"


def test_a_coupon_reply_claims_for_the_follower_and_sends_the_code(app, wechat):
    campaign = coupon_campaign(app)
    app.create_reply_rule(
        "领券",
        "exact",
        ["领券"],
        {"type": "coupon", "campaign_id": str(campaign.id), "text": "送您{title}，券码 {code}"},
    )
    wechat.subscribe("o-1")
    words = content(wechat, wechat.text("o-1", "领券"))
    [claim] = list(app.logged(Claim.Made))
    assert words == f"送您¥3 券，券码 {claim.coupon_code}"
    assert app.get_coupon(claim.coupon_code).member_id == app.find_member("o-1").id
    again = content(wechat, wechat.text("o-1", "领券"))
    assert claim.coupon_code in again and "已领取过" in again
    assert len(list(app.logged(Claim.Made))) == 1


def test_a_coupon_reply_says_so_when_the_stock_is_gone(app, wechat):
    campaign = coupon_campaign(app, stock=1)
    app.create_reply_rule(
        "领券", "exact", ["领券"], {"type": "coupon", "campaign_id": str(campaign.id)}
    )
    wechat.subscribe("o-1")
    wechat.subscribe("o-2")
    assert "券码" in content(wechat, wechat.text("o-1", "领券"))
    assert content(wechat, wechat.text("o-2", "领券")) == "抱歉，优惠券已经领完了。"


def test_rules_refuse_what_they_cannot_reply(app):
    with pytest.raises(CampaignNotFound):
        app.create_reply_rule(
            "x",
            "exact",
            ["x"],
            {"type": "coupon", "campaign_id": "6f1c2d3e-8a4b-5c6d-9e0f-1a2b3c4d5e6f"},
        )
    campaign = coupon_campaign(app)
    with pytest.raises(InvalidReplyRule):
        app.create_reply_rule(
            "x", "subscribe", [], {"type": "coupon", "campaign_id": str(campaign.id)}
        )


def test_the_kill_switch_stops_a_rule_with_the_next_message(app, wechat):
    rule = app.create_reply_rule(
        "错误回复", "contains", ["券"], {"type": "text", "content": "全场免单"}
    )
    for openid in ("o-1", "o-2"):
        wechat.subscribe(openid)
        assert content(wechat, wechat.text(openid, "有券吗")) == "全场免单"
    assert app.pause_reply_rule(rule.id).active is False
    assert content(wechat, wechat.text("o-3", "有券吗")) is None  # waits for a person instead
    assert app.conversation_of("o-3").waiting == 1
    app.resume_reply_rule(rule.id)
    assert content(wechat, wechat.text("o-3", "有券吗")) == "全场免单"


def test_a_rules_recipients_and_their_correction(app, wechat):
    wrong = app.create_reply_rule(
        "错误回复", "contains", ["券"], {"type": "text", "content": "全场免单"}
    )
    app.create_reply_rule("其他", "exact", ["你好"], {"type": "text", "content": "您好"})
    for openid in ("o-1", "o-2", "o-3"):
        wechat.subscribe(openid)
    wechat.text("o-1", "有券吗")
    wechat.text("o-2", "领券")
    wechat.text("o-1", "券呢")
    wechat.text("o-3", "你好")
    app.pause_reply_rule(wrong.id)
    wechat.text("o-3", "有券吗")  # after the pause: not a recipient
    recipients = app.rule_recipients(wrong.id)
    assert [(r.openid, r.replies) for r in recipients] == [("o-1", 2), ("o-2", 1)]

    result = app.send_correction(wrong.id, "更正：并无免单活动，抱歉！", idempotency_key="fix-1")
    assert result.recipients == 2
    addressed = list(app.logged(Correction.Addressed))
    assert [(a.openid, a.outbox_key) for a in addressed] == [
        ("o-1", f"correction:{result.correction_id}:o-1"),
        ("o-2", f"correction:{result.correction_id}:o-2"),
    ]
    assert app.send_correction(wrong.id, "更正", idempotency_key="fix-1") == result
    assert len(list(app.logged(Correction.Addressed))) == 2


def define_flow(app, reward=None):
    flow = app.define_qa_flow("老顾客问答", [REGULAR, TASTE], reward=reward)
    app.create_reply_rule("问答", "exact", ["问答"], {"type": "flow", "flow_id": str(flow.id)})
    return flow


def test_a_qa_flow_tags_each_answer_and_rewards_the_end_with_points(app, wechat):
    define_flow(app, reward={"type": "points", "points": 20})
    wechat.subscribe("o-1")
    assert content(wechat, wechat.text("o-1", "问答")) == REGULAR["prompt"]
    assert content(wechat, wechat.text("o-1", "Ａ")) == TASTE["prompt"]
    assert content(wechat, wechat.text("o-1", "2")) == "谢谢参与！\n已为您增加 20 积分。"
    member = app.find_member("o-1")
    assert sorted(member.tags) == ["爱咸", "老顾客"]
    assert app.get_points(member.id).balance == 20
    assert content(wechat, wechat.text("o-1", "问答")) == "您已经完成过这个问答，谢谢！"
    assert content(wechat, wechat.retry()) == "您已经完成过这个问答，谢谢！"
    assert app.get_points(member.id).balance == 20


def test_a_qa_flow_can_end_with_a_coupon(app, wechat):
    campaign = coupon_campaign(app)
    define_flow(app, reward={"type": "coupon", "campaign_id": str(campaign.id)})
    wechat.subscribe("o-1")
    for answer in ("问答", "B", "1"):
        last = content(wechat, wechat.text("o-1", answer))
    [claim] = list(app.logged(Claim.Made))
    assert claim.reason == "qa-flow" and claim.coupon_code in last


def test_something_else_midway_goes_to_the_rules_and_the_inbox(app, wechat):
    define_flow(app)
    app.create_reply_rule("营业时间", "exact", ["营业时间"], HOURS)
    wechat.subscribe("o-1")
    wechat.text("o-1", "问答")
    assert content(wechat, wechat.text("o-1", "营业时间")) == HOURS["content"]
    assert content(wechat, wechat.text("o-1", "我不想回答")) is None
    assert app.conversation_of("o-1").waiting == 1
    assert content(wechat, wechat.text("o-1", "a")) == TASTE["prompt"]  # the flow goes on
    assert [e.tag for e in app.logged(QaProgress.QuestionAnswered)] == ["老顾客"]


def test_a_paused_flow_asks_nothing_more(app, wechat):
    flow = define_flow(app)
    wechat.subscribe("o-1")
    wechat.text("o-1", "问答")
    app.pause_qa_flow(flow.id)
    assert content(wechat, wechat.text("o-1", "A")) is None
    assert content(wechat, wechat.text("o-1", "问答")) is None
    assert list(app.logged(Member.Tagged)) == []


def test_every_reply_is_an_event_with_its_source(app, wechat):
    rule = app.create_reply_rule("营业时间", "exact", ["营业时间"], HOURS)
    wechat.subscribe("o-1")
    wechat.text("o-1", "营业时间")
    [replied] = list(app.logged(InboundMessage.Replied))
    assert (replied.rule_id, replied.source, replied.openid, replied.reply) == (
        rule.id,
        "rule",
        "o-1",
        HOURS,
    )
