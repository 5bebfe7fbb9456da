"""How Arabic texts address a person (issue 22 item 9): each person chooses neutral (the default), feminine or
masculine in their settings; the cancel page agrees with the reader's form in its question and buttons and with
the other person's form where it speaks of them; the certificate agrees with the volunteer's."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tutoring.extensions import db
from tutoring.models import User
from tutoring.timeutil import utcnow

from tests.coordinators.coordinator_support import add_session

CANCEL = {  # the reader's form: question, yes, no
    "neutral": ("إلغاء هذه الجلسة؟", "نعم، إلغاء الجلسة", "لا، إبقاء الجلسة"),
    "feminine": ("هل تريدين إلغاء هذه الجلسة؟", "نعم، ألغي الجلسة", "لا، أبقيها"),
    "masculine": ("هل تريد إلغاء هذه الجلسة؟", "نعم، ألغِ الجلسة", "لا، أبقِها"),
}
ABOUT_OTHER = {  # the other person's form, named {name}
    "neutral": "يظهر السبب لـ<bdi>{name}</bdi>، مع إشعار بالبريد الإلكتروني.",
    "feminine": "سترى <bdi>{name}</bdi> السبب، وسنُعلمها بالبريد الإلكتروني.",
    "masculine": "سيرى <bdi>{name}</bdi> السبب، وسنُعلمه بالبريد الإلكتروني.",
}
CERTIFICATE = {
    "neutral": "تشهد هذه الوثيقة بأنّ مجموع وقت التطوّع لدى <bdi>Amira</bdi>",
    "feminine": "نشهد بأنّ <bdi>Amira</bdi> تطوّعت من وقتها",
    "masculine": "نشهد بأنّ <bdi>Amira</bdi> تطوّع من وقته",
}
FORMS = list(CANCEL)


def set_form(app, user, form: str, language: str = "ar") -> None:
    with app.app_context():
        person = db.session.get(User, user.id)
        person.address_form, person.language = form, language
        db.session.commit()


@pytest.fixture
def session(app, make_user):
    amira = make_user("volunteer", name="Amira", timezone="America/Toronto")
    sami = make_user("learner", name="Sami")
    with app.app_context():
        booking_id = add_session(amira.id, sami.id, (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
                                status="confirmed")
    return amira, sami, booking_id


def test_a_new_account_is_addressed_neutrally(app, session):
    with app.app_context():
        assert {user.address_form for user in db.session.scalars(db.select(User))} == {"neutral"}


@pytest.mark.parametrize("other", FORMS)
@pytest.mark.parametrize("reader", FORMS)
def test_the_cancel_page_agrees_with_the_reader_and_with_the_other_person(app, client, sign_in, session, reader, other):
    amira, sami, booking_id = session
    set_form(app, amira, reader)
    set_form(app, sami, other)
    sign_in(amira)
    page = client.get(f"/bookings/{booking_id}/cancel").get_data(as_text=True)
    question, yes, no = CANCEL[reader]
    assert question in page and yes in page and no in page
    assert ABOUT_OTHER[other].format(name="Sami") in page
    for form, (other_question, *_rest) in CANCEL.items():
        if form != reader:
            assert f">{other_question}<" not in page


@pytest.mark.parametrize("form", FORMS)
def test_the_certificate_agrees_with_the_volunteer_and_names_the_zone_once(app, client, sign_in, session, form):
    amira, sami, _booking = session
    set_form(app, amira, form)
    with app.app_context():
        add_session(amira.id, sami.id, (utcnow() - timedelta(days=40)).replace(second=0, microsecond=0), minutes=90)
    sign_in(amira)
    since = (utcnow() - timedelta(days=60)).date().isoformat()
    page = client.get(f"/certificate/?from={since}").get_data(as_text=True)
    assert "field-error" not in page
    assert CERTIFICATE[form] in page
    assert "توقيت تورونتو" in page and "توقيت توقيت" not in page and "بتوقيت توقيت" not in page
    others = [text for key, text in CERTIFICATE.items() if key != form]
    assert not any(text in page for text in others)


def test_the_form_is_chosen_in_the_settings_and_bad_values_change_nothing(app, client, sign_in, session):
    amira, _sami, _booking = session
    sign_in(amira)
    page = client.get("/me/profile").get_data(as_text=True)
    assert re.search(r'name="address_form"[^>]*value="neutral"[^>]*checked|checked[^>]*name="address_form"[^>]*value="neutral"', page) \
        or re.search(r'<input[^>]*checked[^>]*value="neutral"|<input[^>]*value="neutral"[^>]*checked', page)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "display_name": "Amira", "timezone": "America/Toronto", "language": "ar",
            "kinds": ["tutoring"], "session_minutes": "45", "buffer_minutes": "15", "min_notice_hours": "12",
            "horizon_days": "56", "address_form": "feminine"}
    assert client.post("/me/profile", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(User, amira.id).address_form == "feminine"
    response = client.post("/me/profile", data={**data, "address_form": "royal", "display_name": "Changed"})
    assert response.status_code in (200, 422) and "يُرجى اختيار صيغة محايدة" in response.get_data(as_text=True)
    with app.app_context():
        person = db.session.get(User, amira.id)
        assert (person.address_form, person.display_name) == ("feminine", "Amira")
