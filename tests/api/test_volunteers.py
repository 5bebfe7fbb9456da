"""GET /api/v1/volunteers: approved volunteers, filters and pages (SPEC §4)."""
from __future__ import annotations

import pytest

from tutoring.extensions import db
from tutoring.models import User

from .helpers import assert_error


@pytest.fixture
def volunteers(make_user):
    """Four bookable volunteers with varied lists, and some who must never be listed."""
    made = {
        "amira": make_user(
            "volunteer", name="Amira", timezone="Africa/Cairo", subjects=["Math", "Physics"], languages=["ar", "en"],
            kinds=["tutoring"],
        ),
        "priya": make_user(
            "volunteer", name="Priya", timezone="Asia/Kathmandu", subjects=["math"], languages=["en", "ne"],
            kinds=["tutoring", "mentoring"],
        ),
        "grace": make_user(
            "volunteer", name="Grace", timezone="Australia/Sydney", subjects=["Essay writing"], languages=["EN"],
            kinds=["support"],
        ),
        "omar": make_user("volunteer", name="Omar", timezone="Asia/Riyadh", subjects=[], languages=["ar"]),
    }
    make_user("volunteer", name="Pending Pat", approved=False, subjects=["Math"])
    make_user("volunteer", name="Paused Paula", state="paused", subjects=["Math"])
    make_user("learner", name="Learner Lee")
    make_user("coordinator", name="Coordinator Cam")
    return made


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [entry["name"] for entry in response.get_json()]


def test_lists_only_approved_active_volunteers_by_name(app, client, make_user, bearer, volunteers):
    headers = bearer(make_user())
    with app.app_context():
        db.session.get(User, volunteers["omar"].id).is_active = False
        db.session.commit()
    response = client.get("/api/v1/volunteers", headers=headers)
    assert names(response) == ["Amira", "Grace", "Priya"]
    assert response.headers["X-Total-Count"] == "3"
    assert "Link" not in response.headers
    assert response.get_json()[0] == {
        "id": volunteers["amira"].id,
        "name": "Amira",
        "timezone": "Africa/Cairo",
        "languages": ["ar", "en"],
        "subjects": ["Math", "Physics"],
        "kinds": ["tutoring"],
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"subject": "math"}, ["Amira", "Priya"]),
        ({"subject": "MATH"}, ["Amira", "Priya"]),
        ({"subject": "mat"}, ["Amira", "Priya"]),  # the start of a word (issue 22)
        ({"subject": "ath"}, []),  # not any part of one
        ({"subject": "essay writing"}, ["Grace"]),
        ({"subject": "  physics "}, ["Amira"]),
        ({"language": "en"}, ["Amira", "Grace", "Priya"]),
        ({"language": "AR"}, ["Amira", "Omar"]),
        ({"kind": "tutoring"}, ["Amira", "Omar", "Priya"]),
        ({"kind": "Support"}, ["Grace", "Omar"]),
        ({"subject": "math", "language": "ne"}, ["Priya"]),
        ({"subject": "math", "kind": "mentoring"}, ["Priya"]),
        ({"subject": "math", "language": "ar", "kind": "support"}, []),
        ({"subject": "", "language": "", "kind": ""}, ["Amira", "Grace", "Omar", "Priya"]),  # blank = no filter
        ({"subject": "رياضيات"}, ["Amira", "Priya"]),  # the shared vocabulary: Arabic finds "Math"
        ({"subject": "الكتابة"}, ["Grace"]),  # "Writing" in Arabic
        ({"subject": "writ"}, ["Grace"]),
    ],
)
def test_filters_match_subjects_forgivingly_and_lists_whole_entries_case_insensitively(client, make_user, bearer, volunteers, query, expected):
    assert names(client.get("/api/v1/volunteers", headers=bearer(make_user()), query_string=query)) == expected


def test_pages_with_limit_and_offset(client, make_user, bearer, volunteers):
    headers = bearer(make_user())
    first = client.get("/api/v1/volunteers", headers=headers, query_string={"limit": 2, "kind": "tutoring"})
    assert names(first) == ["Amira", "Omar"]
    assert first.headers["X-Total-Count"] == "3"
    assert first.headers["Link"] == '</api/v1/volunteers?kind=tutoring&limit=2&offset=2>; rel="next"'
    second = client.get("/api/v1/volunteers?kind=tutoring&limit=2&offset=2", headers=headers)
    assert names(second) == ["Priya"]
    assert second.headers["Link"] == '</api/v1/volunteers?kind=tutoring&limit=2&offset=0>; rel="prev"'
    beyond = client.get("/api/v1/volunteers", headers=headers, query_string={"offset": 100})
    assert names(beyond) == []
    assert beyond.headers["X-Total-Count"] == "4"


def test_default_page_is_fifty(client, make_user, bearer):
    for number in range(52):
        make_user("volunteer", name=f"Volunteer {number:02d}")
    response = client.get("/api/v1/volunteers", headers=bearer(make_user()))
    assert len(names(response)) == 50
    assert response.headers["X-Total-Count"] == "52"
    assert 'rel="next"' in response.headers["Link"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "teaching"),
        ("kind", "tutoring,support"),
        ("kind", " tutoring"),  # choices are exact (only letter case is free)
        ("kind", "\x1f"),
        ("kind", "ſupport"),  # long s: casefold() would make it "support"
        ("limit", "0"),
        ("limit", "201"),
        ("limit", "-1"),
        ("limit", "ten"),
        ("limit", "1.5"),
        ("limit", "٣"),  # Arabic-Indic digit: int() would take it, we don't
        ("limit", "9" * 400),
        ("offset", "-1"),
        ("offset", "1e3"),
        ("offset", "2147483648"),
    ],
)
def test_bad_listing_parameters_are_422_naming_the_field(client, make_user, bearer, field, value):
    response = client.get("/api/v1/volunteers", headers=bearer(make_user()), query_string={field: value})
    error = assert_error(response, 422, "validation_error", field=field)
    assert field in error["message"]
