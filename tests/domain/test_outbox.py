from datetime import timedelta
from uuid import uuid4

import pytest

from domain.outbound_content import InvalidOutboundContent
from domain.outbox import (
    NoOpenAttempt,
    NotDue,
    NothingToResolve,
    OutboundInFlight,
    OutboundKeyReused,
    OutboundMessage,
    OutboundSettled,
    RetryPolicy,
)
from domain.personal import ERASED
from tests.domain.gwt import NOW, given, then, then_error, when

KEY = "reply:conversation-1:1"
MEMBER = uuid4()
POLICY = RetryPolicy(base=timedelta(seconds=30), max_attempts=4)
TEMPLATE = {"template_id": "T1", "data": {"first": {"value": "hi"}}}


def queued(kind="text", payload=None):
    payload = payload or ({"content": "您好"} if kind == "text" else TEMPLATE)
    return (
        OutboundMessage.Queued,
        {
            "key": KEY,
            "openid": "o-1",
            "member_id": MEMBER,
            "kind": kind,
            "payload": payload,
            "push_id": None,
            "at": NOW,
        },
    )


def attempted(attempt=1, channel="customer_service", client_msg_id=None, at=NOW):
    return (
        OutboundMessage.Attempted,
        {"attempt": attempt, "channel": channel, "client_msg_id": client_msg_id, "at": at},
    )


def failed(attempt=1, errcode=-1, retry_at=NOW + timedelta(seconds=30)):
    return (
        OutboundMessage.Failed,
        {"attempt": attempt, "errcode": errcode, "errmsg": "busy", "retry_at": retry_at, "at": NOW},
    )


def message(*facts):
    return given(OutboundMessage, *facts, id=OutboundMessage.id_for(KEY))


def test_queueing_derives_the_id_from_the_key():
    events = when(
        None,
        lambda _: OutboundMessage.queue(KEY, "o-1", MEMBER, "text", {"content": "您好"}, NOW),
    )
    then(events, (OutboundMessage.Queued, {"key": KEY, "kind": "text"}))
    assert events[0].originator_id == OutboundMessage.id_for(KEY)


def test_a_payload_that_does_not_fit_its_kind_is_refused():
    then_error(
        None,
        lambda _: OutboundMessage.queue(KEY, "o-1", MEMBER, "text", {"text": "x"}, NOW),
        InvalidOutboundContent,
    )


def test_the_same_key_for_other_content_is_a_reused_key():
    with pytest.raises(OutboundKeyReused):
        message(queued()).check_same("o-1", "text", {"content": "另一条"})
    message(queued()).check_same("o-1", "text", {"content": "您好"})


def test_a_message_read_after_its_follower_was_erased_knows_it_and_stands_as_queued():
    read_back = {**queued()[1], "key": ERASED, "openid": ERASED, "payload": ERASED}
    erased = message((OutboundMessage.Queued, read_back))
    assert erased.recipient_erased and not message(queued()).recipient_erased
    erased.check_same("o-1", "text", {"content": "您好"})  # nothing left to compare: no error


def test_inside_the_window_a_text_goes_as_a_customer_service_message():
    events = when(message(queued()), lambda m: m.begin_attempt(NOW, True, True))
    then(events, (OutboundMessage.Attempted, {"attempt": 1, "channel": "customer_service"}))


def test_outside_the_window_a_text_goes_as_a_template_with_a_client_msg_id():
    msg = message(queued())
    events = when(msg, lambda m: m.begin_attempt(NOW, False, True))
    then(events, (OutboundMessage.Attempted, {"channel": "template"}))
    assert events[0].client_msg_id == f"{msg.id.hex}-1"


def test_outside_the_window_without_a_template_the_message_fails_for_good():
    events = when(message(queued()), lambda m: m.begin_attempt(NOW, False, False))
    then(events, (OutboundMessage.Failed, {"retry_at": None, "errcode": None}))


def test_a_message_in_flight_is_not_due_again():
    then_error(message(queued(), attempted()), lambda m: m.begin_attempt(NOW, True, True), NotDue)


def test_a_failed_send_is_retried_with_exponential_backoff():
    msg = message(queued(), attempted(), failed(1), attempted(2))
    then(
        when(msg, lambda m: m.fail(2, -1, "busy", NOW, POLICY)),
        (OutboundMessage.Failed, {"errcode": -1, "retry_at": NOW + timedelta(seconds=60)}),
    )


def test_a_retry_waits_for_its_time():
    msg = message(queued(), attempted(), failed(1))
    then_error(msg, lambda m: m.begin_attempt(NOW, True, True), NotDue)
    later = NOW + timedelta(seconds=30)
    then(when(msg, lambda m: m.begin_attempt(later, True, True)), (OutboundMessage.Attempted, {}))


def test_after_max_attempts_the_message_fails_for_good():
    msg = message(queued(), attempted(4))
    then(
        when(msg, lambda m: m.fail(4, -1, "busy", NOW, POLICY)),
        (OutboundMessage.Failed, {"retry_at": None}),
    )


def test_a_permanent_refusal_is_not_retried():
    msg = message(queued(), attempted())
    then(
        when(msg, lambda m: m.fail(1, 43004, "require subscribe", NOW, POLICY)),
        (OutboundMessage.Failed, {"errcode": 43004, "retry_at": None}),
    )


def test_out_of_window_refusal_switches_to_a_template_at_once():
    msg = message(queued(), attempted())
    then(
        when(msg, lambda m: m.fail(1, 45015, "out of time limit", NOW, POLICY)),
        (OutboundMessage.Failed, {"retry_at": NOW}),
    )
    then(
        when(msg, lambda m: m.begin_attempt(NOW, True, True)),
        (OutboundMessage.Attempted, {"channel": "template", "attempt": 2}),
    )


def test_an_outcome_can_only_be_recorded_for_the_attempt_in_flight():
    then_error(
        message(queued(), attempted()), lambda m: m.fail(2, -1, "", NOW, POLICY), NoOpenAttempt
    )


def test_an_unclear_customer_service_send_is_held_for_an_operator():
    msg = message(queued(), attempted())
    then(
        when(msg, lambda m: m.outcome_unknown(1, "read timeout", NOW, POLICY)),
        (OutboundMessage.OutcomeUnknown, {"retry_at": None, "replay_until": None}),
    )
    then_error(msg, lambda m: m.begin_attempt(NOW, True, True), NotDue)


def test_an_unclear_template_send_is_replayed_with_the_same_client_msg_id():
    msg = message(queued("template"), attempted(channel="template", client_msg_id="c-1"))
    then(
        when(msg, lambda m: m.outcome_unknown(1, "read timeout", NOW, POLICY)),
        (
            OutboundMessage.OutcomeUnknown,
            {"retry_at": NOW, "replay_until": NOW + timedelta(minutes=9)},
        ),
    )
    then(
        when(msg, lambda m: m.begin_attempt(NOW, True, True)),
        (OutboundMessage.Attempted, {"attempt": 2, "client_msg_id": "c-1", "channel": "template"}),
    )


def test_no_replay_after_wechats_deduplication_window():
    msg = message(queued("template"), attempted(channel="template", client_msg_id="c-1"))
    msg.outcome_unknown(1, "read timeout", NOW, POLICY)
    msg.collect_events()
    late = NOW + timedelta(minutes=10)
    then(
        when(msg, lambda m: m.begin_attempt(late, True, True)),
        (OutboundMessage.OutcomeUnknown, {"retry_at": None}),
    )


def test_a_refused_replay_keeps_its_client_msg_id_or_waits_for_an_operator():
    msg = message(
        queued("template"),
        attempted(channel="template", client_msg_id="c-1"),
        (
            OutboundMessage.OutcomeUnknown,
            {
                "attempt": 1,
                "reason": "x",
                "retry_at": NOW,
                "replay_until": NOW + timedelta(minutes=9),
                "at": NOW,
            },
        ),
        attempted(2, "template", "c-1"),
    )
    # 60 s backoff still lands inside the window: retry, same id.
    then(when(msg, lambda m: m.fail(2, -1, "busy", NOW, POLICY)), (OutboundMessage.Failed, {}))
    retry = when(msg, lambda m: m.begin_attempt(NOW + timedelta(minutes=1), True, True))
    assert retry[0].client_msg_id == "c-1"
    # A permanent refusal of a replay cannot prove the first send did not arrive.
    then(
        when(msg, lambda m: m.fail(3, 43004, "x", NOW, POLICY)),
        (OutboundMessage.OutcomeUnknown, {"retry_at": None}),
    )


def test_reconciling_a_stale_attempt_marks_it_unknown():
    msg = message(queued(), attempted(at=NOW))
    assert msg.reconcile(NOW + timedelta(seconds=10), timedelta(seconds=60), POLICY) is False
    assert msg.collect_events() == []
    assert msg.reconcile(NOW + timedelta(seconds=61), timedelta(seconds=60), POLICY) is True
    assert type(msg.collect_events()[0]) is OutboundMessage.OutcomeUnknown


def test_a_late_success_settles_an_unknown_message():
    msg = message(queued(), attempted())
    msg.outcome_unknown(1, "timeout", NOW, POLICY)
    msg.collect_events()
    then(when(msg, lambda m: m.deliver(1, None, NOW)), (OutboundMessage.Delivered, {}))
    then_error(msg, lambda m: m.deliver(1, None, NOW), OutboundSettled)


def test_cancel_stops_a_queued_message_but_not_one_in_flight():
    then(
        when(message(queued()), lambda m: m.cancel("wrong reply", NOW)),
        (OutboundMessage.Cancelled, {}),
    )
    then_error(message(queued(), attempted()), lambda m: m.cancel("late", NOW), OutboundInFlight)


def test_an_operator_resends_or_closes_an_unknown_message():
    unknown = (
        OutboundMessage.OutcomeUnknown,
        {"attempt": 1, "reason": "x", "retry_at": None, "replay_until": None, "at": NOW},
    )
    msg = message(queued(), attempted(), unknown)
    then(
        when(msg, lambda m: m.resolve(True, "not on the phone", NOW)),
        (OutboundMessage.Resolved, {}),
    )
    then(
        when(msg, lambda m: m.begin_attempt(NOW, True, True)),
        (OutboundMessage.Attempted, {"attempt": 2}),
    )
    then_error(message(queued()), lambda m: m.resolve(True, "", NOW), NothingToResolve)
