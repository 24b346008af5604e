"""`lianjie seal-log`: events stored in clear before sealing existed are sealed in place."""

from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID, uuid4

from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from domain.conversation import Conversation
from domain.inbound import Inbound, InboundMessage
from domain.member import Attribution, Member
from domain.personal import ERASED, PersonalData, member_field
from projections.catalog import all_views
from projections.runner import ProjectionRunner
from projections.wallet import wallet
from services.cli import app as cli
from services.log_sealing import LogSealer

OPERATOR = uuid4()
PHONE = "13900139000"
THEN = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)  # before sealing existed


def store_in_clear(app, *events) -> None:
    """Events as they were stored before sealing existed: the plain mapper, no `_sealed`."""
    plain = Mapper(transcoder=app.mapper.transcoder)
    app.recorder.insert_events([plain.to_stored_event(event) for event in events])


def legacy_member(app, openid: str, phone: str | None = None) -> UUID:
    member = Member.follow(openid, Attribution(scene="store:x"), THEN)
    if phone:
        member.complete_profile("合肥", phone)
    store_in_clear(app, *member.collect_events())
    return member.id


def store_as_v1(app, event) -> None:
    """An event as its v1 stored it, in clear: without the member id v2 added."""
    transcoder = app.mapper.transcoder
    stored = Mapper(transcoder=transcoder).to_stored_event(event)
    state = transcoder.decode(stored.state)
    del state["member_id"], state["class_version"]
    app.recorder.insert_events([replace(stored, state=transcoder.encode(state))])


def legacy_message(app, openid: str, text: str) -> tuple[UUID, UUID]:
    """A text message as WeChat pushed it, and as it waited in the inbox, before sealing."""
    inbound = Inbound(
        openid, "gh", "text", 1_714_550_400, 88, content=text, fields={"Content": text}
    )
    (received,) = InboundMessage.receive(inbound, THEN).collect_events()
    store_as_v1(app, received)
    conversation = Conversation.start(openid, Member.id_for(openid))
    conversation.queue(received.key, "text", text, THEN)
    opened, queued = conversation.collect_events()
    store_in_clear(app, opened)
    store_as_v1(app, queued)
    return received.originator_id, conversation.id


class ReceivedAsDeclaredBefore(InboundMessage.Received):
    """`Received` as an older declaration sealed it: the text and raw fields left in clear."""

    personal_data = PersonalData(("key", "openid"), member_field)


def sealed_under_an_older_declaration(app, openid: str, text: str) -> UUID:
    inbound = Inbound(openid, "gh", "text", 1_714_550_500, 89, content=text, fields={"C": text})
    (received,) = InboundMessage.receive(inbound, THEN).collect_events()
    older = object.__new__(ReceivedAsDeclaredBefore)
    object.__setattr__(older, "__dict__", dict(vars(received)))
    stored = app.mapper.to_stored_event(older)
    app.recorder.insert_events([replace(stored, topic=get_topic(InboundMessage.Received))])
    return received.originator_id


def stored_states(app) -> list[bytes]:
    return [bytes(n.state) for n in app.recorder.select_notifications(1, 10_000)]


def in_the_log(app, *secrets: str) -> list[str]:
    """Those of the secrets that the stored events hold in clear."""
    raw = b"".join(stored_states(app))
    return [s for s in secrets if s.encode() in raw or s.encode("unicode_escape") in raw]


def loaded(app, *aggregate_ids: UUID) -> list[dict]:
    return [vars(e) for i in aggregate_ids for e in app.repository.event_store.get(i)]


def keys_of(app, member_id: UUID) -> int:
    query = "SELECT COUNT(*) FROM member_data_keys WHERE member_id = %s"
    return app.personal_data.db.read(query, [str(member_id)])[0][0]


def test_events_stored_in_clear_are_sealed_and_load_the_same(app):
    ann = legacy_member(app, "o-legacy-ann", PHONE)
    message, conversation = legacy_message(app, "o-legacy-ann", "我住幸福路 8 号")
    recent = app.follow("o-recent").member_id  # sealed when written
    before, recent_state = loaded(app, ann, message, conversation), stored_states(app)[-1]

    done = LogSealer(app, page_size=2).run()

    assert (done.read, done.sealed, done.blanked) == (6, 5, 0)
    assert in_the_log(app, "o-legacy-ann", PHONE, "幸福路") == []
    assert loaded(app, ann, message, conversation) == before
    received, queued = before[2], before[4]  # v1 both: upcast, then sealed as v2
    assert (received["member_id"], queued["member_id"]) == (ann, None)
    assert stored_states(app)[-1] == recent_state
    assert app.get_member(ann).phone == PHONE and app.get_member(recent).openid == "o-recent"
    assert keys_of(app, ann) == 1  # made on the first page, found again on the next ones


def test_an_inbox_message_that_names_no_member_is_sealed_under_its_conversations(app):
    ann = legacy_member(app, "o-legacy-ann")
    _, conversation = legacy_message(app, "o-legacy-ann", "我住幸福路 8 号")
    LogSealer(app).run()

    app.erase_member(ann, OPERATOR)

    _, queued = app.repository.event_store.get(conversation)
    assert (queued.member_id, queued.text, queued.message_key) == (None, ERASED, ERASED)


def test_fields_declared_personal_after_their_event_was_stored_are_sealed_too(app):
    member = legacy_member(app, "o-earlier")
    message = sealed_under_an_older_declaration(app, "o-earlier", "我住幸福路 7 号")
    assert in_the_log(app, "o-earlier", "幸福路") == ["o-earlier", "幸福路"]  # followed in clear

    done = LogSealer(app).run()

    assert (done.sealed, done.blanked) == (2, 0)
    assert in_the_log(app, "o-earlier", "幸福路") == []
    (received,) = app.repository.event_store.get(message)
    assert (received.openid, received.content) == ("o-earlier", "我住幸福路 7 号")
    app.erase_member(member, OPERATOR)
    (received,) = app.repository.event_store.get(message)
    assert (received.content, received.fields) == (ERASED, ERASED)


def test_a_member_erased_before_the_migration_reads_erased_without_a_new_key(app, clock):
    ben = legacy_member(app, "o-legacy-ben", PHONE)
    message, conversation = legacy_message(app, "o-legacy-ben", "我住幸福路 9 号")
    app.erase_member(ben, OPERATOR)

    done = LogSealer(app, page_size=1).run()

    assert (done.sealed, done.blanked) == (0, 5)
    followed, profile, _ = app.repository.event_store.get(ben)
    (received,) = app.repository.event_store.get(message)
    opened, queued = app.repository.event_store.get(conversation)
    assert (followed.openid, profile.phone, profile.region) == (ERASED, ERASED, "合肥")
    personal = (received.key, received.openid, received.content, received.fields)
    assert personal == (ERASED,) * 4 and received.member_id == ben
    assert (opened.openid, queued.text, queued.message_key) == (ERASED, ERASED, ERASED)
    assert in_the_log(app, "o-legacy-ben", PHONE, "幸福路") == []
    assert keys_of(app, ben) == 0
    runner = ProjectionRunner(app, all_views())
    runner.rebuild()
    assert wallet(runner.db, ben, clock.now).openid == ERASED


def test_a_second_run_changes_nothing(app):
    ann = legacy_member(app, "o-legacy-ann", PHONE)
    legacy_message(app, "o-legacy-ann", "我住幸福路 8 号")
    app.erase_member(legacy_member(app, "o-legacy-ben"), OPERATOR)
    LogSealer(app).run()
    sealed = stored_states(app)

    again = LogSealer(app).run()

    assert (again.read, again.sealed, again.blanked) == (6, 0, 0)
    assert again.summary().startswith("nothing left in clear: 6 personal events")
    assert stored_states(app) == sealed and keys_of(app, ann) == 1


def test_the_command_seals_the_log_and_says_what_it_did(app, database_url):
    legacy_member(app, "o-legacy-cli", PHONE)
    env = {"LIANJIE_DATABASE_URL": database_url}

    first = CliRunner().invoke(cli, ["seal-log", "--page", "1"], env=env)
    second = CliRunner().invoke(cli, ["seal-log"], env=env)

    assert first.exit_code == 0, first.output
    assert "sealing personal events stored in clear" in first.output
    assert "sealed 2, blanked 0 of erased members; read 2 personal events" in first.output
    assert "events/s" in first.output
    assert second.exit_code == 0 and "nothing left in clear" in second.output
