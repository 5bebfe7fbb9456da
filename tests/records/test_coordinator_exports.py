"""The spreadsheet exports read back with the csv module: a BOM, one header row, one row per booking or volunteer,
Arabic names intact, formulas defused, never a note; the long report CSV is unchanged."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.coordinators.coordination import create_programme, set_membership

from tests.coordinators.coordinator_support import add_session

RANGE = {"from": "2026-11-02", "to": "2026-11-15"}


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def world(app, make_user, sign_in):
    coordinator = make_user("coordinator", timezone="Europe/London")
    v1 = make_user("volunteer", name="فاطمة الزهراء", email="fatima@example.org", subjects=["الرياضيات", "Physics"],
                   languages=["ar", "en"])
    v2 = make_user("volunteer", name="=HYPERLINK(\"x\")", email="v2@example.org")
    idle = make_user("volunteer", name="Idle Ivy", approved=False)
    l1 = make_user("learner", name="سارة", email="sara@example.org", timezone="Asia/Kathmandu")
    l2 = make_user("learner", name="Leo", email="leo@example.org", timezone="America/New_York")
    with app.app_context():
        boss = db.session.get(User, coordinator.id)
        programme = create_programme(boss, name="Maths", kinds=["tutoring"])
        set_membership(boss, programme.id, v1.id, member=True)
        for volunteer, learner, start_at, minutes, status in [
            (v1, l1, utc(2026, 11, 3, 12, 0), 60, "completed"),
            (v1, l2, utc(2026, 11, 4, 23, 30), 45, "no_show"),
            (v1, l2, utc(2026, 11, 5, 18, 0), 30, "cancelled"),
            (v2, l1, utc(2026, 11, 10, 2, 0), 90, "completed"),
            (v2, l2, utc(2026, 11, 16, 0, 30), 60, "completed"),  # Monday 00:30 in London: outside the range
        ]:
            add_session(volunteer.id, learner.id, start_at, minutes=minutes, status=status, note="secret note")
    sign_in(coordinator)
    return {"v1": v1, "v2": v2, "idle": idle, "coordinator": coordinator}


def read_spreadsheet(client, path: str, **args) -> tuple[list[str], list[dict[str, str]], str]:
    response = client.get(path, query_string=args)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM Excel looks for
    text = raw.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows, text


def test_sessions_export_has_one_row_per_booking_with_arabic_names_and_no_note(client, world):
    header, rows, text = read_spreadsheet(client, "/coordinator/reports/sessions.csv", **RANGE)
    assert header == ["Booking", "Session", "Date", "Start", "End", "Time zone", "Start (UTC)", "Minutes",
                      "Kind of session", "State", "Volunteer ID", "Volunteer", "Volunteer's email", "Learner ID",
                      "Learner", "Learner's email"]
    assert len(rows) == 4
    first = rows[0]
    assert first["Volunteer"] == "فاطمة الزهراء" and first["Learner"] == "سارة"
    assert first["Learner's email"] == "sara@example.org" and first["Volunteer's email"] == "fatima@example.org"
    assert (first["Date"], first["Start"], first["End"], first["Start (UTC)"]) == (
        "2026-11-03", "12:00", "13:00", "2026-11-03T12:00:00Z")
    assert [row["State"] for row in rows] == ["Held", "No-show", "Cancelled", "Held"]
    assert rows[1]["Date"] == "2026-11-04" and rows[1]["Minutes"] == "45"
    assert rows[3]["Volunteer"] == "'=HYPERLINK(\"x\")"  # text, not a formula
    assert "secret note" not in text
    assert text.count("\r\n") == 5  # header + four rows, CRLF as spreadsheets expect


def test_sessions_export_follows_the_programme_filter(client, world):
    _, rows, _ = read_spreadsheet(client, "/coordinator/reports/sessions.csv", **RANGE, programme="maths")
    assert {row["Volunteer"] for row in rows} == {"فاطمة الزهراء"} and len(rows) == 3


def test_volunteers_export_has_one_row_per_volunteer_with_the_ranges_figures(client, world):
    header, rows, text = read_spreadsheet(client, "/coordinator/reports/volunteers.csv", **RANGE)
    assert header[:3] == ["Volunteer ID", "Volunteer", "Email"] and header[-3:] == [
        "Held sessions", "Volunteer hours", "Learners served"]
    by_name = {row["Volunteer"]: row for row in rows}
    assert set(by_name) == {"فاطمة الزهراء", "'=HYPERLINK(\"x\")", "Idle Ivy"}
    fatima = by_name["فاطمة الزهراء"]
    assert fatima["Subjects"] == "الرياضيات, Physics" and fatima["Email"] == "fatima@example.org"
    assert (fatima["Bookings"], fatima["Cancelled"], fatima["No-show"], fatima["Held sessions"],
            fatima["Volunteer hours"], fatima["Learners served"]) == ("3", "1", "1", "1", "1.00", "1")
    v2 = by_name["'=HYPERLINK(\"x\")"]
    assert (v2["Bookings"], v2["Held sessions"], v2["Volunteer hours"]) == ("1", "1", "1.50")  # 16 Nov is outside
    assert by_name["Idle Ivy"]["State"] == "Waiting for a decision" and by_name["Idle Ivy"]["Bookings"] == "0"
    assert "secret note" not in text


def test_arabic_headers_for_an_arabic_coordinator(app, client, world):
    with app.app_context():
        db.session.get(User, world["coordinator"].id).language = "ar"
        db.session.commit()
    header, rows, _ = read_spreadsheet(client, "/coordinator/reports/volunteers.csv", **RANGE)
    assert header[1] == "المتطوع" and "فاطمة الزهراء" in {row[header[1]] for row in rows}


def test_the_long_report_csv_is_kept_as_it_was(client, world):
    response = client.get("/coordinator/reports.csv", query_string=RANGE)
    assert not response.get_data().startswith(b"\xef\xbb\xbf")
    assert response.get_data(as_text=True).startswith("section,label,measure,value\r\n")


def test_the_report_page_links_the_exports(client, world):
    page = client.get("/coordinator/reports", query_string=RANGE).get_data(as_text=True)
    assert "/coordinator/reports/sessions.csv?" in page and "/coordinator/reports/volunteers.csv?" in page


@pytest.mark.parametrize("path", ["/coordinator/reports/sessions.csv", "/coordinator/reports/volunteers.csv"])
def test_only_coordinators_download_and_bad_input_is_no_500(client, make_user, sign_in, world, path):
    assert client.get(path, query_string={"from": "nonsense", "to": "1900-01-01", "programme": "zzz"}).status_code == 200
    sign_in(make_user("volunteer"))
    assert client.get(path).status_code == 403
