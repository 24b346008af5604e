"""Schemathesis over the OpenAPI document: no input, however odd, makes the API answer 5xx
or answer anything its OpenAPI document does not declare (status, content type, schema).

Operator endpoints are called with an operator token, /api/me with a follower's and
/api/till with a staff member's, so the bodies get past the role check and are parsed.
LIANJIE_FUZZ_EXAMPLES sets the examples per operation (5 in the unit suite).
"""

from __future__ import annotations

import os
import time

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    Failure,
    FailureGroup,
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.api.app import create_app
from tests.api.conftest import ADMIN, ADMIN_PASSWORD, STAFF_PASSWORD, bearer

EXAMPLES_PER_OPERATION = int(os.environ.get("LIANJIE_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SKIPPED = {("POST", "/api/auth/logout")}  # would revoke the token every later case uses


def tokens_by_role(app) -> dict[str, dict[str, str]]:
    store = app.open_store("模糊测试店", "上海")
    app.register_staff("fuzz-clerk", STAFF_PASSWORD, store.id)
    app.follow("o-fuzz", store.qr_scene)
    return {
        "operator": bearer(app.login(ADMIN, ADMIN_PASSWORD).access_token),
        "staff": bearer(app.login("fuzz-clerk", STAFF_PASSWORD).access_token),
        "follower": bearer(app.follower_login("o-fuzz").access_token),
    }


def role_for(path: str) -> str:
    if path.startswith("/api/me"):
        return "follower"
    return "staff" if path.startswith("/api/till") else "operator"


def test_no_operation_answers_5xx_or_off_its_schema(settings, app):
    api = create_app(settings, application=app)
    tokens = tokens_by_role(app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    started = time.perf_counter()
    for operation in operations:
        if (operation.method.upper(), operation.path) not in SKIPPED:
            run_operation(operation, tokens[role_for(operation.path)], failures)
    assert not failures, "\n".join(failures)
    print(
        f"{len(operations)} operations x {EXAMPLES_PER_OPERATION} examples: no 5xx, "
        f"nothing off the schema, in {time.perf_counter() - started:.1f} s"
    )


def run_operation(operation, headers: dict[str, str], failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Failure, FailureGroup) as failure:
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{failure}\n  {response.text[:300]}\n  {case.as_curl_command()}"
            )

    check()
