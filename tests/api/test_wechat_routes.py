"""The WeChat operator routes as the real API serves them: operator tokens, problem+json."""

from tests.api.conftest import assert_problem


def test_operators_manage_reply_rules_through_the_api(client, operator):
    body = {"name": "营业时间", "match": "contains", "keywords": ["几点"],
            "reply": {"type": "text", "content": "每天 9:00-22:00"}}  # fmt: skip
    created = client.post("/api/wechat/reply-rules", json=body, headers=operator)
    assert created.status_code == 201, created.text
    paused = client.post(f"/api/wechat/reply-rules/{created.json()['id']}/pause", headers=operator)
    assert paused.json()["active"] is False


def test_unknown_fields_in_a_rule_are_refused_naming_the_field(client, operator):
    body = {"name": "x", "match": "exact", "keywords": ["a"], "reply": {"type": "text"}, "oops": 1}
    response = client.post("/api/wechat/reply-rules", json=body, headers=operator)
    problem = assert_problem(response, 422, "invalid-request")
    assert any(error["loc"][-1] == "oops" for error in problem["errors"])


def test_staff_and_followers_cannot_touch_the_rules(client, staff, follower):
    for headers in (staff, follower.headers):
        assert_problem(client.get("/api/wechat/reply-rules", headers=headers), 403, "forbidden")
