"""The hours certificate as a PDF: the same words as the page, with the organisation's name and a signature line.

fpdf2 writes the file; with text shaping on, HarfBuzz (uharfbuzz) joins
Arabic letters and fpdf2's Unicode bidi algorithm lays each paragraph out
right to left, with names and numbers in Latin script kept in their own
order. The font is DejaVu Sans (Latin and Arabic in one file), copied from
npm by ``make vendor`` into ``static/vendor/fonts``; no system library is
needed.

Like the page, the PDF lists sessions by time and kind only: it is handed
to third parties, so learners' names and notes stay out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from tutoring.errors import ServiceError
from tutoring.formatting import format_day, format_duration, format_time, kind_label, zone_label
from tutoring.models import User
from tutoring.services.records.certificate import Certificate, certificate_lead

# Hebrew, Arabic, Syriac, Thaana, N'Ko... and their presentation forms.
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FONT = "DejaVuSans"


class CertificateFontMissing(ServiceError):
    """The server has no font for the PDF (``make vendor`` was not run)."""

    code = "certificate_font_missing"
    status = 503


@dataclass(frozen=True)
class CertificateText:
    """Every piece of text the PDF shows, already in the certificate's language."""

    language: str
    rtl: bool
    organisation: str
    title: str
    lead: str
    caption: str
    headers: tuple[str, str, str, str]
    rows: list[tuple[str, str, str, str]]
    total_label: str
    total: str
    empty: str
    issued: str
    signature: str
    signed_for: str


def certificate_text(certificate: Certificate, name: str, zone: str, language: str, address: str,
                     organisation: str, issued_on: date) -> CertificateText:
    """The certificate's words in the current locale (the caller forces the volunteer's language).

    ``address`` is how the volunteer is addressed in Arabic (``feminine``,
    ``masculine`` or ``neutral``), as on the page.
    """
    rows = [
        (format_day(line.start_at, zone, format="yMMMd"),
         f"{format_time(line.start_at, zone)} – {format_time(line.end_at, zone)}",
         kind_label(line.kind), format_duration(line.minutes))
        for line in certificate.lines
    ]
    return CertificateText(
        language=language,
        rtl=language == "ar",
        organisation=organisation,
        title=_("Certificate of volunteering"),
        lead=certificate_lead(certificate, name, address),
        caption=_("Sessions held (times in %(zone)s)", zone=zone_label(zone)),
        headers=(_("Date"), _("Time"), _("Kind of session"), _("Length")),
        rows=rows,
        total_label=_("Total"),
        total=format_duration(certificate.total_minutes),
        empty=_("No session was held in this period."),
        issued=_("Issued on %(day)s.", day=format_day(issued_on, format="long")),
        signature=_("Signature and stamp"),
        signed_for=_("For %(organisation)s", organisation=organisation),
    )


def font_paths(font_dir: Path) -> dict[str, Path]:
    """The font files, or CertificateFontMissing when one isn't there."""
    paths = {style: font_dir / file for style, file in FONT_FILES.items()}
    if not all(path.is_file() for path in paths.values()):
        raise CertificateFontMissing(_("The PDF can't be made on this server yet. Print the page instead."))
    return paths


def render_certificate_pdf(text: CertificateText, font_dir: Path) -> bytes:
    """The certificate as PDF bytes (A4, one or more pages)."""
    # Imported here: fpdf2 and fontTools take about a second to import, which every web process would
    # otherwise pay at start for a page few people open.
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_lang(text.language)
    pdf.set_title(text.title)
    pdf.set_creator(text.organisation)
    for style, path in font_paths(font_dir).items():
        pdf.add_font(FONT, style, str(path))
    # Arabic: shaped by HarfBuzz, each paragraph laid out right to left by the bidi algorithm. An English
    # certificate is shaped only when a name in it is written right to left: shaping is most of the cost.
    if text.rtl:
        pdf.set_text_shaping(True, direction="rtl", script="arab", language=text.language)
    elif any(_RIGHT_TO_LEFT.search(words) for words in (text.organisation, text.lead)):
        pdf.set_text_shaping(True, direction="ltr", language=text.language)
    start = "R" if text.rtl else "L"
    width = pdf.epw

    def paragraph(words: str, size: float, style: str = "", align: str = start, gap: float = 3) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, size * 0.55, words, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    pdf.add_page()
    paragraph(text.organisation, 13, "B", align="C", gap=10)
    paragraph(text.title, 22, "B", align="C", gap=8)
    paragraph(text.lead, 12, gap=8)
    if text.rows:
        paragraph(text.caption, 10, "B", gap=2)
        # Columns read from the start edge: in Arabic the date column is on the right.
        order = slice(None, None, -1) if text.rtl else slice(None)
        widths = (30, 40, 45, 55)[order]

        def row(cells, style: str = "", rule: str = "B") -> None:
            pdf.set_font(FONT, style, 10)
            for cell_width, words in zip(widths, cells[order]):
                pdf.cell(cell_width, 7, words, border=rule, align=start)
            pdf.ln(7)

        row(text.headers, "B")
        for cells in text.rows:
            row(cells)
        row((text.total_label, "", "", text.total), "B", rule="")
        pdf.ln(4)
    else:
        paragraph(text.empty, 11)
    paragraph(text.issued, 10, gap=18)
    # The signature line sits at the end edge, where a signature goes in either script.
    line_width = 70
    x = pdf.l_margin if text.rtl else pdf.l_margin + width - line_width
    if pdf.get_y() + 25 > pdf.h - pdf.b_margin:
        pdf.add_page()
    y = pdf.get_y() + 10
    pdf.line(x, y, x + line_width, y)
    pdf.set_xy(x, y + 2)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(line_width, 5, text.signature, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.multi_cell(line_width, 5, text.signed_for, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return bytes(pdf.output())


def certificate_pdf(certificate: Certificate, person: User, issued_on: date) -> bytes:
    """``person``'s certificate as a PDF, in their language and grammatical form, naming the organisation
    (setting ``ORGANISATION_NAME``, else the service's name)."""
    font_dir = Path(current_app.config.get("CERTIFICATE_FONT_DIR")
                    or Path(current_app.static_folder or "static") / "vendor" / "fonts")
    with force_locale(person.language):
        organisation = current_app.config.get("ORGANISATION_NAME") or _("Tutoring")
        text = certificate_text(certificate, person.display_name, person.timezone, person.language,
                                person.address_form, organisation, issued_on)
    return render_certificate_pdf(text, font_dir)


def certificate_filename(certificate: Certificate) -> str:
    """``certificate-2026-01-01-2026-12-07.pdf``: ASCII, so every browser keeps it."""
    return f"certificate-{certificate.first_day.isoformat()}-{certificate.last_day.isoformat()}.pdf"
