"""Property-based checks of the whole API against its own OpenAPI document (schemathesis, in-process WSGI).

Every documented operation gets generated requests, valid and invalid, with a
real bearer token; all of schemathesis' checks run but one (see below): no
answer may be a 500, every answer must match the document (status, content
type, headers, body schema), invalid input must be refused with a 4xx, and
requests without the token must be refused.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tutoring.api.openapi import openapi_document
from tutoring.extensions import db
from tutoring.models import ApiToken, User
from tutoring.models.token import hash_token

EXAMPLES_PER_OPERATION = 25
# A fixed token, stored (hashed) by the fixture, so schemathesis' auth provider
# can hand it out while still leaving it off the cases that test missing auth.
TOKEN = "schemathesis-test-token-0123456789abcdefghijklmnop"

# Built from the same dict the app serves (test_openapi.py checks they are equal), so the
# operations are known when pytest collects; requests go to the test's own app in-process.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.auth(refresh_interval=None)
class BearerToken:
    """Sign every generated request with the test caller's token (unless the case is about missing auth)."""

    def get(self, case, context):
        return TOKEN

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def api_world(app, make_user):
    """A caller owning ``TOKEN`` and a bookable volunteer with slots, so generated requests can succeed."""
    volunteer = make_user(
        "volunteer",
        timezone="Asia/Kathmandu",
        rules=[(day, "08:00", "20:00") for day in range(7)],
        subjects=["math"],
        languages=["ar", "en"],
        min_notice_hours=0,
    )
    make_user("volunteer", approved=False)
    caller = make_user("learner", timezone="America/New_York")
    with app.app_context():
        db.session.add(ApiToken(user=db.session.get(User, caller.id), token_hash=hash_token(TOKEN)))
        db.session.commit()
    return {"volunteer_id": volunteer.id}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    # The fixtures only set the database up; generated requests read it.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_openapi_document(case, app, api_world):
    # Requests (including the ones some checks replay) go to this test's app, in-process.
    case.operation.app = case.operation.schema.app = app
    volunteer_id = (case.path_parameters or {}).get("volunteer_id")
    if isinstance(volunteer_id, int) and volunteer_id % 2:
        # Half the slot requests ask about the real volunteer, so 200s get checked too.
        case.path_parameters["volunteer_id"] = api_world["volunteer_id"]
    # positive_data_acceptance is left out: the document can't express rules across
    # parameters (to >= from, at most 62 days apart), so some schema-valid requests are 422s.
    # The in-process client doesn't undo gzip (which the app applies when asked), so ask for none.
    case.call_and_validate(headers={"Accept-Encoding": "identity"}, excluded_checks=[checks.positive_data_acceptance])
