"""The hours certificate as a PDF, read back with pypdf (a reader independent of fpdf2) in both languages."""
from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from tutoring.extensions import db
from tutoring.models import User

from tests.coordinators.coordinator_support import add_session

PERIOD = "?from=2026-03-01&to=2026-03-31"


def pdf_text(response) -> str:
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="certificate-2026-03-01-2026-03-31.pdf"'
    assert response.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.data))
    # Presentation forms (the joined shapes of Arabic letters) read back as the letters themselves.
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def priya(app, make_user):
    volunteer = make_user("volunteer", timezone="Asia/Kathmandu", name="Priya Sharma")
    learner = make_user("learner", name="Secret Learner")
    with app.app_context():
        add_session(volunteer.id, learner.id, datetime(2026, 3, 2, 12, 15, tzinfo=UTC), minutes=45, note="private")
        add_session(volunteer.id, learner.id, datetime(2026, 3, 9, 12, 15, tzinfo=UTC), minutes=90)
        add_session(volunteer.id, learner.id, datetime(2026, 5, 1, 12, 15, tzinfo=UTC), minutes=60)  # outside
    return volunteer


def test_the_english_pdf_has_the_organisation_the_sessions_and_a_signature_line(app, client, sign_in, priya):
    app.config["ORGANISATION_NAME"] = "Remote Schools Trust"
    sign_in(priya)
    response = client.get("/certificate/certificate.pdf" + PERIOD)
    text = pdf_text(response)
    assert "Remote Schools Trust" in text and "Certificate of volunteering" in text
    assert "Priya Sharma" in text and "2 hours and 15 minutes" in text and "2 sessions" in text
    assert "Signature and stamp" in text and "For Remote Schools Trust" in text
    assert "Kathmandu" in text
    assert "Secret Learner" not in text and "private" not in text


@pytest.mark.parametrize(("form", "words"), [
    ("feminine", "تطوّعت من وقتها"),
    ("masculine", "تطوّع من وقته"),
    ("neutral", "مجموع وقت التطوّع لدى"),
])
def test_the_arabic_pdf_is_shaped_and_agrees_with_the_volunteers_form(app, client, sign_in, priya, form, words):
    app.config["ORGANISATION_NAME"] = "منظمة المدارس البعيدة"
    with app.app_context():
        person = db.session.get(User, priya.id)
        person.language, person.address_form = "ar", form
        db.session.commit()
    sign_in(priya)
    response = client.get("/certificate/certificate.pdf" + PERIOD)
    text = pdf_text(response)
    assert "منظمة المدارس البعيدة" in text and "شهادة تطوع" in text
    assert words in text and "Priya Sharma" in text
    assert "التوقيع والختم" in text and "عن منظمة المدارس البعيدة" in text
    assert "توقيت كاتماندو" in text and "توقيت توقيت" not in text
    assert "Secret Learner" not in text and "private" not in text
    # Shaped: the embedded font subset holds the joined forms (initial, medial, final: Presentation Forms-B)
    # that HarfBuzz chose; unshaped text would draw only the letters' isolated code points (U+0600-U+06FF).
    assert drawn_code_points(response.data) & set(range(0xFE70, 0xFF00))


def drawn_code_points(pdf: bytes) -> set[int]:
    """The code points of every glyph in the PDF's embedded TrueType subsets (read with fontTools)."""
    points: set[int] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            points |= set(TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data())).getBestCmap())
    return points


def test_a_coordinator_downloads_a_volunteers_pdf_and_others_cannot(app, client, sign_in, make_user, priya):
    sign_in(make_user("coordinator"))
    assert "Priya Sharma" in pdf_text(client.get(f"/coordinator/volunteers/{priya.id}/certificate.pdf" + PERIOD))
    sign_in(make_user("learner"))
    assert client.get("/certificate/certificate.pdf").status_code == 403
    assert client.get(f"/coordinator/volunteers/{priya.id}/certificate.pdf").status_code == 403


def test_the_page_links_the_pdf_and_a_missing_font_is_a_message_not_a_500(app, client, sign_in, priya, tmp_path):
    sign_in(priya)
    page = client.get("/certificate/" + PERIOD).get_data(as_text=True)
    assert 'href="/certificate/certificate.pdf?from=2026-03-01&amp;to=2026-03-31"' in page
    app.config["CERTIFICATE_FONT_DIR"] = str(tmp_path)  # a server where `make vendor` never ran
    response = client.get("/certificate/certificate.pdf" + PERIOD)
    assert response.status_code == 302 and response.headers["Location"].startswith("/certificate/?from=2026-03-01")
    assert "be made on this server yet" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_arabic_name_on_an_english_pdf_is_still_joined(app, client, sign_in, make_user):
    volunteer = make_user("volunteer", name="فاطمة الزهراء")
    sign_in(volunteer)
    response = client.get("/certificate/certificate.pdf" + PERIOD)
    assert "فاطمة الزهراء" in pdf_text(response) and "Certificate of volunteering" in pdf_text(response)
    assert drawn_code_points(response.data) & set(range(0xFE70, 0xFF00))
