"""Login lockout: failed logins in a row lock a username and an address out, with a wait
that doubles per further failure up to a cap, reset by a good login, in every process."""

from fastapi.testclient import TestClient

from services.api.app import create_app
from services.bootstrap import bootstrap
from tests.api.conftest import ADMIN, ADMIN_PASSWORD, api_settings, assert_problem

WRONG = "not-the-password"


def attempt(client: TestClient, password: str, username: str = ADMIN):
    return client.post("/api/auth/token", json={"username": username, "password": password})


def fail(client: TestClient, times: int, username: str = ADMIN) -> None:
    for _ in range(times):
        assert_problem(attempt(client, WRONG, username), 401, "invalid-credentials")


def locked_for(response) -> int:
    assert_problem(response, 429, "login-locked")
    return int(response.headers["retry-after"])


def test_five_failures_lock_the_username_with_a_doubling_capped_wait(client, clock):
    fail(client, 5)
    waits = []
    for _ in range(7):
        waits.append(locked_for(attempt(client, ADMIN_PASSWORD)))  # even the right one
        clock.advance(seconds=waits[-1])
        attempt(client, WRONG)  # allowed once the wait is over, and it fails again
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    print("lockout waits after each further failure (s):", waits)


def test_a_good_login_after_the_wait_resets_the_count(client, clock):
    fail(client, 5)
    clock.advance(seconds=30)
    assert attempt(client, ADMIN_PASSWORD).status_code == 200
    fail(client, 4)  # counted from zero again: four more failures lock nothing
    assert attempt(client, ADMIN_PASSWORD).status_code == 200


def test_failures_older_than_a_day_no_longer_count(client, clock):
    fail(client, 4)
    clock.advance(days=1)
    fail(client, 4)
    assert attempt(client, ADMIN_PASSWORD).status_code == 200


def test_unknown_usernames_lock_alike_so_the_lockout_tells_no_usernames(client):
    fail(client, 5, username="nobody-here")
    assert locked_for(attempt(client, WRONG, username="nobody-here")) == 30
    assert attempt(client, ADMIN_PASSWORD).status_code == 200  # other usernames go on


def test_an_address_is_locked_across_usernames_but_other_addresses_are_not(
    database_url, tmp_path, clock
):
    settings = api_settings(database_url, tmp_path, login_lockout_ip_failures=3)
    application = bootstrap(settings, clock)
    try:
        api = create_app(settings, application=application)
        guesser = TestClient(api, client=("203.0.113.7", 40000))
        for username in ("ann", "bob", "cat"):
            fail(guesser, 1, username=username)
        assert locked_for(attempt(guesser, ADMIN_PASSWORD)) == 30
        elsewhere = TestClient(api, client=("198.51.100.2", 40000))
        assert attempt(elsewhere, ADMIN_PASSWORD).status_code == 200
        clock.advance(seconds=30)
        assert attempt(guesser, ADMIN_PASSWORD).status_code == 200
        # That good login (say, the attacker's own account) did not reset the address.
        fail(guesser, 1, username="dan")
        assert locked_for(attempt(guesser, ADMIN_PASSWORD)) == 60
    finally:
        application.close()


def test_the_lockout_holds_in_every_api_process(client, settings, clock):
    fail(client, 5)
    other_application = bootstrap(settings, clock)  # a second process's application
    try:
        other = TestClient(create_app(settings, application=other_application))
        assert locked_for(attempt(other, ADMIN_PASSWORD)) == 30
        clock.advance(seconds=30)
        assert attempt(other, ADMIN_PASSWORD).status_code == 200
    finally:
        other_application.close()
    fail(client, 4)  # the other process's good login reset the count here too
    assert attempt(client, ADMIN_PASSWORD).status_code == 200


def test_failed_logins_leave_the_event_log_alone(client, app):
    head = app.recorder.max_notification_id()
    fail(client, 5, username="nobody-here")
    locked_for(attempt(client, WRONG, username="nobody-here"))
    assert app.recorder.max_notification_id() == head
