"""Help, one tap away (SPEC §7 "Help", issue 18): /help, its API, the coordinators' list and the footer link.

SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import AuditEntry, HelpResource
from tutoring.services.support.help import country_of_zone, load_examples

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=False)


@pytest.fixture
def lines(app):
    with app.app_context():
        db.session.add_all([
            HelpResource(country="SA", name="Saudi test line", phone="+00 111", languages=["ar"], hours="24/7"),
            HelpResource(country="GB", name="British test line", url="https://example.org/gb", languages=["en"]),
            HelpResource(country=None, name="Default test line", hours="24/7"),
        ])
        db.session.commit()


def test_zones_map_to_countries_through_tzdata():
    assert country_of_zone("Asia/Riyadh") == "SA" and country_of_zone("Europe/London") == "GB"
    assert country_of_zone("UTC") is None and country_of_zone("Not/AZone") is None


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_help_page_says_it_is_not_an_emergency_service_in_both_languages(client, language, lines):
    client.set_cookie("lang", language)
    response = client.get("/help?country=SA")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Saudi test line" in html and "British test line" not in html
    assert ("This is not an emergency service." in html) == (language == "en")
    if language == "ar":
        assert 'dir="rtl"' in html and "ليست خدمة طوارئ" in html


def test_the_country_comes_from_the_visitors_zone_and_can_be_changed(client, lines):
    client.set_cookie("tz", "Europe/London")
    html = client.get("/help").get_data(as_text=True)
    assert "British test line" in html and "Saudi test line" not in html and "from your time zone" in html
    changed = client.get("/help?country=sa").get_data(as_text=True)
    assert "Saudi test line" in changed and "British test line" not in changed
    everything = client.get("/help?country=all").get_data(as_text=True)
    assert all(name in everything for name in ("Saudi test line", "British test line", "Default test line"))


def test_a_country_with_no_line_gets_the_default_ones(client, lines):
    html = client.get("/help?country=FR").get_data(as_text=True)
    assert "Default test line" in html and "Saudi test line" not in html


def test_a_bad_country_is_a_message_not_a_500(client, lines):
    response = client.get("/help?country=ZZZ%00")
    assert response.status_code == 200 and 'role="alert"' in response.get_data(as_text=True)


def test_every_page_links_to_help_in_its_footer(client, sign_in, make_user):
    assert 'href="/help"' in client.get("/").get_data(as_text=True)
    assert 'href="/help"' in client.get("/auth/login").get_data(as_text=True)
    sign_in(make_user("learner"))
    assert 'href="/help"' in client.get("/me/").get_data(as_text=True)


def test_the_api_lists_a_countrys_lines_without_a_token(client, lines):
    answer = client.get("/api/v1/help?country=sa").get_json()
    assert answer == {"country": "SA", "resources": [{"name": "Saudi test line", "phone": "+00 111", "text": None,
                                                      "whatsapp": None, "url": None, "languages": ["ar"], "hours": "24/7",
                                                      "example": False}]}
    assert client.get("/api/v1/help?country=FR").get_json()["resources"][0]["name"] == "Default test line"
    assert client.get("/api/v1/help").get_json()["country"] is None
    bad = client.get("/api/v1/help?country=ZZ")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "country"
    # The API takes exactly two letters, as its OpenAPI document says (schemathesis sent "\tRU").
    for padded in ("%09RU", "RU%20", "%D9%A1%D9%A2"):
        assert client.get(f"/api/v1/help?country={padded}").status_code == 422, padded


def test_example_entries_are_labelled_and_carry_no_real_number(app, client):
    with app.app_context():
        assert load_examples() > 0 and load_examples() == 0  # once
        db.session.commit()
        for resource in db.session.scalars(select(HelpResource)):
            assert resource.is_example and "EXAMPLE" in resource.name and resource.phone.startswith("+00")
    assert "Example, not a real service" in client.get("/help?country=EG").get_data(as_text=True)


def test_the_coordinators_help_page_has_one_import_form_and_a_plain_title(client, sign_in, make_user):
    sign_in(make_user("coordinator"))
    page = client.get("/coordinator/help").get_data(as_text=True)
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "Help lines" in title
    assert page.count('id="import-heading"') == 1


def test_coordinators_add_change_and_remove_lines_with_the_audit_log(app, client, sign_in, make_user):
    sign_in(make_user("coordinator"))
    assert client.get("/coordinator/help").status_code == 200
    added = client.post("/coordinator/help", data={"country": "EG", "name": "Egypt test line", "phone": "+00 222",
                                                   "languages": "ar, en", "hours": "evenings"})
    assert added.status_code == 302
    with app.app_context():
        line = db.session.scalar(select(HelpResource).where(HelpResource.country == "EG"))
        assert (line.name, line.languages) == ("Egypt test line", ["ar", "en"])
        line_id = line.id
    assert client.get(f"/coordinator/help/{line_id}").status_code == 200
    changed = client.post(f"/coordinator/help/{line_id}", data={"country": "EG", "name": "Egypt line, renamed"})
    assert changed.status_code == 302
    assert "Egypt line, renamed" in client.get("/help?country=EG").get_data(as_text=True)
    assert client.post(f"/coordinator/help/{line_id}/remove").status_code == 302
    with app.app_context():
        assert db.session.get(HelpResource, line_id) is None
        assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
            "help.add", "help.update", "help.remove"]


@pytest.mark.parametrize("form", [
    {"country": "EG", "name": ""},
    {"country": "XX", "name": "A"},
    {"country": "EG", "name": "A", "url": "javascript:alert(1)"},
    {"country": "EG", "name": "A", "languages": "arabic!"},
])
def test_bad_help_lines_get_a_message_not_a_500(client, sign_in, make_user, form):
    sign_in(make_user("coordinator"))
    response = client.post("/coordinator/help", data=form)
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)


def test_only_coordinators_edit_lines(client, sign_in, make_user):
    sign_in(make_user("volunteer"))
    assert client.get("/coordinator/help").status_code == 403
    assert client.post("/coordinator/help", data={"country": "EG", "name": "x"}).status_code == 403


@pytest.mark.app_config()  # CSRF on
def test_the_help_line_form_needs_its_csrf_token(client, sign_in, make_user):
    sign_in(make_user("coordinator"))
    assert client.post("/coordinator/help", data={"country": "EG", "name": "x"}).status_code == 400


def test_the_cli_adds_a_line(app, runner):
    result = runner.invoke(args=["help", "add", "--country", "jo", "--name", "Jordan test line", "--phone", "+00 3",
                                 "--languages", "ar,en", "--hours", "24/7"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(HelpResource.country).where(HelpResource.name == "Jordan test line")) == "JO"
    assert runner.invoke(args=["help", "add", "--country", "QQ", "--name", "x"]).exit_code != 0


# --- WhatsApp numbers and CSV import (issue 18, part 2) ---


def test_a_whatsapp_number_shows_as_a_wa_me_link_in_the_page_and_the_api(app, client, sign_in, make_user):
    sign_in(make_user("coordinator"))
    added = client.post("/coordinator/help", data={"country": "EG", "name": "Egypt chat line",
                                                   "whatsapp": "+20 100-000 0000"})
    assert added.status_code == 302
    html = client.get("/help?country=EG").get_data(as_text=True)
    assert 'href="https://wa.me/201000000000"' in html and "+20 100-000 0000" in html
    assert client.get("/api/v1/help?country=EG").get_json()["resources"][0]["whatsapp"] == "+20 100-000 0000"
    bad = client.post("/coordinator/help", data={"country": "EG", "name": "x", "whatsapp": "call me"})
    assert bad.status_code == 422 and 'id="help-whatsapp-new"' in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(HelpResource)) == 1


def test_the_cli_adds_a_whatsapp_number(app, runner):
    result = runner.invoke(args=["help", "add", "--country", "SA", "--name", "Saudi chat", "--whatsapp", "+966 5"
                                                                                                          "00 000 000"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(HelpResource.whatsapp)) == "+966 500 000 000"


GOOD_CSV = (
    "country,name,phone,text,whatsapp,url,languages,hours\r\n"
    "SA,خط الدعم النفسي,+00 111,,+966 500 000 000,https://example.org/sa,\"ar,en\",24/7\r\n"
    "eg,Egypt test line,+00 222,00000,,,ar,evenings\r\n"
    ",Default imported line,,,,,,\r\n"
    "\r\n"
)


def _upload(client, data: bytes):
    from io import BytesIO
    return client.post("/coordinator/help/import", data={"file": (BytesIO(data), "lines.csv")},
                       content_type="multipart/form-data")


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(HelpResource))


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_coordinators_import_lines_from_csv_with_or_without_bom(app, client, sign_in, make_user, bom):
    sign_in(make_user("coordinator"))
    response = _upload(client, bom + GOOD_CSV.encode("utf-8"))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with app.app_context():
        saudi = db.session.scalar(select(HelpResource).where(HelpResource.country == "SA"))
        assert (saudi.name, saudi.languages, saudi.whatsapp) == ("خط الدعم النفسي", ["ar", "en"], "+966 500 000 000")
        assert db.session.scalar(select(HelpResource.country).where(HelpResource.name == "Egypt test line")) == "EG"
        assert db.session.scalar(select(HelpResource.country).where(HelpResource.name == "Default imported line")) is None
        assert db.session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "help.import")).all() == [
            "3 lines"]
    assert "3 help lines imported." in client.get("/coordinator/help").get_data(as_text=True)
    assert "خط الدعم النفسي" in client.get("/help?country=SA").get_data(as_text=True)


@pytest.mark.parametrize("data, expected", [
    (("country,name,whatsapp\r\nSA,Good line,\r\nXX,Bad country,\r\nEG,,\r\nEG,Bad chat,call me\r\n").encode(),
     ["Row 3, column country", "Row 4, column name", "Row 5, column whatsapp"]),
    (b"country,name\r\nSA,One,extra\r\n", ["Row 2:"]),
    (b"country,title\r\nSA,One\r\n", ["The first row must name the columns"]),
    ("country,name\r\nSA,\u062e\u0637\r\n".encode("utf-16"), ["UTF-8"]),
    (b"", ["The file is empty."]),
    (b"country,name\r\n", ["no lines to import"]),
    (b"country,name,url\r\nSA,x,javascript:alert(1)\r\n", ["Row 2, column url"]),
    (b"country,name\r\nSA,bell\x07\r\n", ["Row 2: This text contains a character that is not allowed."]),
])
def test_a_bad_file_imports_nothing_and_says_which_rows(app, client, sign_in, make_user, data, expected):
    sign_in(make_user("coordinator"))
    response = _upload(client, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'role="alert"' in html
    assert all(text in html for text in expected), html
    assert _count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.id)) is None


def test_import_errors_are_in_the_coordinators_language(client, sign_in, make_user):
    sign_in(make_user("coordinator", language="ar"))
    html = _upload(client, b"country,name\r\nXX,One\r\n").get_data(as_text=True)
    assert "لم يُستورد شيء" in html and "الصف 2" in html


def test_a_missing_file_is_a_message_not_a_500(client, sign_in, make_user):
    sign_in(make_user("coordinator"))
    response = client.post("/coordinator/help/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_only_coordinators_import(app, client, sign_in, make_user):
    sign_in(make_user("volunteer"))
    assert _upload(client, GOOD_CSV.encode()).status_code == 403
    assert _count(app) == 0


@pytest.mark.app_config()  # CSRF on
def test_the_import_needs_its_csrf_token(app, client, sign_in, make_user):
    sign_in(make_user("coordinator"))
    assert _upload(client, GOOD_CSV.encode()).status_code == 400
    assert _count(app) == 0


def test_the_cli_imports_a_file_or_nothing(app, runner, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(b"\xef\xbb\xbf" + GOOD_CSV.encode())
    result = runner.invoke(args=["help", "import", str(good)])
    assert result.exit_code == 0 and "Imported 3 help lines." in result.output, result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"country,name\r\nSA,fine\r\nQQ,wrong\r\n")
    result = runner.invoke(args=["help", "import", str(bad)])
    assert result.exit_code != 0 and "row 3, country" in result.output
    assert _count(app) == 3
