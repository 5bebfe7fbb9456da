"""Arabic counts pick the right one of its six plural forms.

Babel's own table of gettext rules (``babel.messages.plurals``) has Arabic's
"many" and "other" swapped (python-babel/babel#816): 100 would read like 11.
The catalogue's header carries the CLDR rule instead; these tests hold it to
``Locale('ar').plural_form`` and read real sentences back through Flask-Babel.
"""
from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from flask_babel import force_locale, ngettext

CATALOGUE = Path(__file__).resolve().parent.parent / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
# gettext's index for each CLDR category, in the order translators fill them in.
FORM_INDEX = {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 4, "other": 5}


def catalogue_plural():
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po, locale="ar")
    return catalog.num_plurals, gettext.c2py(catalog.plural_expr)


@pytest.fixture
def plain_app(make_app):
    """An app for its catalogues only: these tests touch no table."""
    return make_app()


def test_the_header_has_six_forms_in_cldr_order():
    count, plural = catalogue_plural()
    assert count == 6
    cldr = Locale("ar").plural_form
    wrong = [(n, plural(n), cldr(n)) for n in range(0, 1200) if plural(n) != FORM_INDEX[cldr(n)]]
    assert not wrong, f"(n, header's form, CLDR category): {wrong[:10]}"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "0 دقيقة"),  # zero
        (1, "دقيقة واحدة"),  # one
        (2, "دقيقتان"),  # two
        (3, "3 دقائق"),  # few: n % 100 in 3..10
        (11, "11 دقيقة"),  # many: n % 100 in 11..99
        (100, "100 دقيقة"),  # other
    ],
)
def test_minutes_in_arabic(plain_app, count, expected):
    with plain_app.test_request_context(), force_locale("ar"):
        assert ngettext("%(num)d minute", "%(num)d minutes", count) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "لا أوقات متاحة"),
        (1, "وقت متاح واحد"),
        (2, "وقتان متاحان"),
        (3, "3 أوقات متاحة"),
        (11, "11 وقتًا متاحًا"),  # the accusative singular only "many" takes
        (100, "100 وقت متاح"),  # back to the genitive singular
        (111, "111 وقتًا متاحًا"),
    ],
)
def test_free_times_in_arabic(plain_app, count, expected):
    with plain_app.test_request_context(), force_locale("ar"):
        assert ngettext("%(num)d free time", "%(num)d free times", count) == expected


def test_english_keeps_two_forms(plain_app):
    with plain_app.test_request_context(), force_locale("en"):
        assert ngettext("%(num)d minute", "%(num)d minutes", 1) == "1 minute"
        assert ngettext("%(num)d minute", "%(num)d minutes", 100) == "100 minutes"
