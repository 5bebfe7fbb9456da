"""The editor asks before saving an overnight window or one longer than 8 hours (issue 22, item 6).

Start 20:00 and end 19:00 used to become a 23-hour overnight window without a
word. Now the form comes back with the question ("from 8:00 PM until 7:00 PM
the next day, 23 hours. Is that right?") and a button that confirms exactly
those times; nothing is saved until then. Ordinary windows save at once.
"""
from __future__ import annotations

import pytest

from tests.schedules.test_account_editor import htmx, plain, post, rule_id, rules_of, volunteer  # noqa: F401  (fixture)
from tutoring.extensions import db
from tutoring.models import User


def add(client, start, end, weekday="3", headers=None, **extra):
    return post(client, "/me/availability/rules", headers=htmx(f"add-rule-{weekday}") if headers is None else headers, weekday=weekday,
                start=start, end=end, capacity="1", **extra)


def test_start_after_end_is_asked_about_not_saved(app, client, volunteer):
    response = add(client, "20:00", "19:00")
    body = plain(response)
    assert response.status_code == 200
    assert "This window runs overnight: from 8:00 PM until 7:00 PM the next day, 23 hours. Is that right?" in body
    assert 'name="confirmed" value="20:00-19:00"' in body and "Yes, save it" in body
    assert len(rules_of(app, volunteer)) == 1  # only the Tuesday window it had
    # The button confirms exactly these times: then the window is saved, overnight.
    saved = add(client, "20:00", "19:00", confirmed="20:00-19:00")
    assert "Window added." in plain(saved)
    assert {"weekday": 3, "start": "20:00", "end": "19:00"} in [
        {key: rule[key] for key in ("weekday", "start", "end")} for rule in rules_of(app, volunteer)]


def test_a_confirmation_of_other_times_does_not_count(app, client, volunteer):
    body = plain(add(client, "21:00", "19:00", confirmed="20:00-19:00"))
    assert "until 7:00 PM the next day, 22 hours" in body
    assert len(rules_of(app, volunteer)) == 1


@pytest.mark.parametrize(("start", "end", "words"), [
    ("08:00", "18:00", "This window is 10 hours long, from 8:00 AM to 6:00 PM. Is that right?"),
    ("22:00", "01:00", "from 10:00 PM until 1:00 AM the next day, 3 hours."),
    ("09:00", "09:00", "from 9:00 AM until 9:00 AM the next day, 24 hours."),
])
def test_long_and_overnight_windows_are_asked_about(app, client, volunteer, start, end, words):
    assert words in plain(add(client, start, end))
    assert len(rules_of(app, volunteer)) == 1


@pytest.mark.parametrize(("start", "end"), [("18:00", "20:00"), ("09:00", "17:00"), ("06:00", "14:00")])
def test_ordinary_windows_are_saved_at_once(app, client, volunteer, start, end):
    body = plain(add(client, start, end))
    assert "Is that right?" not in body and "Window added." in body
    assert len(rules_of(app, volunteer)) == 2


def test_without_javascript_the_whole_editor_comes_back_with_the_question(app, client, volunteer):
    response = add(client, "20:00", "19:00", headers={})
    body = plain(response)
    assert response.status_code == 200 and "<html" in body and "Is that right?" in body
    assert len(rules_of(app, volunteer)) == 1


def test_editing_keeps_an_existing_overnight_window_without_asking_again(app, client, volunteer):
    add(client, "22:00", "02:00", confirmed="22:00-02:00")
    overnight = rule_id(app, volunteer, 1)
    # Saved again unchanged (e.g. moved to another day): no question.
    body = plain(post(client, f"/me/availability/rules/{overnight}", headers=htmx(f"rule-{overnight}"),
                      weekday="4", start="22:00", end="02:00", capacity="1"))
    assert "Is that right?" not in body
    # Its end moved to make it long: asked.
    body = plain(post(client, f"/me/availability/rules/{overnight}", headers=htmx(f"rule-{overnight}"),
                      weekday="4", start="22:00", end="08:00", capacity="1"))
    assert "until 8:00 AM the next day, 10 hours" in body


def test_the_question_in_arabic(app, client, volunteer):
    with app.app_context():
        db.session.get(User, volunteer.id).language = "ar"
        db.session.commit()
    body = plain(add(client, "20:00", "19:00"))
    assert "تمتد هذه الفترة خلال الليل" in body and "هل هذا صحيح؟" in body and "نعم، حفظ الفترة" in body
