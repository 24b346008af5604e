from datetime import timedelta
from uuid import uuid4

import pytest

from domain.qaflow import InvalidQaFlow, QaFlow, QaFlowPaused, Question
from domain.qaprogress import QaFlowAlreadyCompleted, QaProgress
from tests.domain.gwt import NOW, given, then, then_error, when

MEMBER = uuid4()
REGULAR = {
    "prompt": "你是我们的老顾客吗？回复 A 是 B 不是",
    "options": {"A": "老顾客", "B": "新顾客"},
}
TASTE = {"prompt": "喜欢什么口味？回复 1 甜 2 咸", "options": {"1": "爱甜", "2": "爱咸"}}


def defined(*questions, reward=None):
    return (
        QaFlow.Defined,
        {
            "name": "老顾客问答",
            "questions": list(questions) or [REGULAR, TASTE],
            "reward": reward,
            "closing_text": "谢谢参与！",
            "answer_window_minutes": 30,
        },
    )


FLOW_ID = uuid4()


def flow(*facts, reward=None):
    return given(QaFlow, defined(reward=reward), *facts, id=FLOW_ID)


def progress(*facts):
    return given(QaProgress, (QaProgress.Begun, {"member_id": MEMBER}), *facts)


STARTED = (QaProgress.FlowStarted, {"flow_id": FLOW_ID, "at": NOW})


def test_a_flow_is_defined_with_its_questions_and_reward():
    events = when(
        None,
        lambda _: QaFlow.define(
            "老顾客问答",
            [Question(REGULAR["prompt"], REGULAR["options"])],
            {"type": "points", "points": 20},
        ),
    )
    then(
        events,
        (QaFlow.Defined, {"questions": [REGULAR], "reward": {"type": "points", "points": 20}}),
    )


@pytest.mark.parametrize(
    ("questions", "reward"),
    [
        ([], None),
        ([Question("?", {"A": "x"})], None),
        ([Question("?", {"A": "x", "a": "y"})], None),
        ([Question("?", {"A": "x", "B": "y" * 40})], None),
        ([Question(REGULAR["prompt"], REGULAR["options"])], {"type": "points", "points": 0}),
        ([Question(REGULAR["prompt"], REGULAR["options"])], {"type": "coupon"}),
    ],
)
def test_inconsistent_flows_are_refused(questions, reward):
    then_error(None, lambda _: QaFlow.define("问答", questions, reward), InvalidQaFlow)


def test_starting_asks_the_first_question():
    asked = []
    events = when(progress(), lambda p: asked.append(p.start(flow(), NOW)))
    then(events, (QaProgress.FlowStarted, {"flow_id": FLOW_ID}))
    assert asked == [REGULAR["prompt"]]


def test_an_answer_tags_and_moves_to_the_next_question():
    steps = []
    events = when(progress(STARTED), lambda p: steps.append(p.answer(flow(), " ａ。", NOW)))
    then(events, (QaProgress.QuestionAnswered, {"step": 0, "answer": "A", "tag": "老顾客"}))
    assert (steps[0].tag, steps[0].next_prompt, steps[0].completed) == (
        "老顾客",
        TASTE["prompt"],
        False,
    )


def test_the_last_answer_completes_the_flow_with_its_reward():
    answered = (
        QaProgress.QuestionAnswered,
        {"flow_id": FLOW_ID, "step": 0, "answer": "A", "tag": "老顾客", "at": NOW},
    )
    reward = {"type": "points", "points": 20}
    events = when(progress(STARTED, answered), lambda p: p.answer(flow(reward=reward), "2", NOW))
    then(
        events,
        (QaProgress.QuestionAnswered, {"step": 1, "tag": "爱咸"}),
        (QaProgress.FlowCompleted, {"flow_id": FLOW_ID, "reward": reward}),
    )


def test_something_else_is_not_an_answer():
    then(when(progress(STARTED), lambda p: p.answer(flow(), "我想问一下营业时间", NOW)))


def test_an_answer_after_the_window_is_not_taken():
    late = NOW + timedelta(minutes=31)
    then(when(progress(STARTED), lambda p: p.answer(flow(), "A", late)))


def test_a_completed_flow_is_not_taken_twice():
    done = (QaProgress.FlowCompleted, {"flow_id": FLOW_ID, "reward": None, "at": NOW})
    then_error(progress(STARTED, done), lambda p: p.start(flow(), NOW), QaFlowAlreadyCompleted)


def test_starting_again_midway_asks_the_current_question_again():
    answered = (
        QaProgress.QuestionAnswered,
        {"flow_id": FLOW_ID, "step": 0, "answer": "B", "tag": "新顾客", "at": NOW},
    )
    asked = []
    then(when(progress(STARTED, answered), lambda p: asked.append(p.start(flow(), NOW))))
    assert asked == [TASTE["prompt"]]


def test_starting_another_flow_abandons_the_current_one():
    other = given(QaFlow, defined(TASTE))
    events = when(progress(STARTED), lambda p: p.start(other, NOW))
    then(
        events,
        (QaProgress.FlowAbandoned, {"flow_id": FLOW_ID, "step": 0}),
        (QaProgress.FlowStarted, {"flow_id": other.id}),
    )


def test_a_paused_flow_starts_for_nobody_and_takes_no_answers():
    paused = flow((QaFlow.Paused, {}))
    then_error(progress(), lambda p: p.start(paused, NOW), QaFlowPaused)
    then(when(progress(STARTED), lambda p: p.answer(paused, "A", NOW)))
