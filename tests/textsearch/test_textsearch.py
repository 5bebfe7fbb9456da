"""The pure search core (tutoring/textsearch): Arabic and Latin normalisation, the shared vocabulary, the matching rule."""
from __future__ import annotations

import pytest

from tutoring.textsearch import SUBJECTS, matches, normalise, query_key, query_tags, subject_names, subject_terms

MATHS_AR = "الرياضيات"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Mathematics", "mathematics"),
        ("  MATHS  ", "maths"),
        ("Français", "francais"),  # Latin accents
        ("Straße", "strasse"),  # case folding, not only lower case
        ("أحياء", "احيا"), ("إنجليزي", "انجليزي"), ("آداب", "اداب"), ("ٱلعلوم", "العلوم"),  # alef forms
        ("مدرسة", "مدرسه"),  # ta marbuta
        ("مستوى", "مستوي"),  # alef maqsura
        ("الرِّيَاضِيَّات", MATHS_AR.replace("ة", "ه")),  # harakat and shadda
        ("الريـــاضـيات", MATHS_AR),  # tatweel
        ("كيمياء", "كيميا"),  # a lone hamza
        ("مسؤول", "مسوول"), ("رئيس", "رييس"),  # hamza on waw and ya
        ("الصف ١٢", "الصف 12"), ("۱۰", "10"),  # Arabic-Indic and Eastern Arabic-Indic digits
        ("C++, essay-writing!", "c essay writing"),  # punctuation separates words
        ("50%_off", "50 off"),
        ("a\x00b", "a b"),
    ],
)
def test_normalise(typed, expected):
    assert normalise(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("الرياضيات", "رياضيات"),
        ("والرياضيات", "رياضيات"),  # and the ...
        ("بالرياضيات", "رياضيات"), ("فالرياضيات", "رياضيات"), ("كالرياضيات", "رياضيات"),
        ("للرياضيات", "رياضيات"),  # li + al- is written لل
        ("وللرياضيات", "رياضيات"),
        ("اللغة الإنجليزية", "لغه انجليزيه"),  # each word
        ("ال", "ال"), ("الر", "الر"),  # too short to be an article with a word after it: as typed
        ("والد", "والد"),  # "father": و + ال + one letter is a word, not an article
        ("Math", "math"),
        ("!!!", ""),
    ],
)
def test_the_query_key_drops_the_article_and_its_prefixes(typed, expected):
    assert query_key(typed) == expected


# (what is typed, a volunteer's subjects, found?) — the examples of issue 22 and their neighbours.
CASES = [
    ("Math", ["Mathematics"], True),
    ("maths", ["Mathematics"], True),  # a synonym, not a prefix
    ("Mathematics", ["maths"], True),
    ("math", ["الرياضيات"], True),  # English finds Arabic
    ("رياضيات", ["Mathematics"], True),  # Arabic finds English
    ("الرياضيات", ["Mathematics"], True),
    ("والرياضيات", ["Mathematics"], True),
    ("الرياضـــيات", ["Mathematics"], True),  # tatweel
    ("الرِّيَاضِيَّات", ["Maths"], True),  # harakat
    ("رياضيات", ["الرياضيات"], True),  # the article
    ("ريا", ["الرياضيات"], True),  # the start of a word
    ("الر", ["الرياضيات"], True),  # the start of a word, article and all
    ("كيمياء", ["الكيمياء"], True),
    ("كيمياء", ["Chemistry"], True),
    ("chem", ["الكيمياء"], True),
    ("فيزياء", ["Physics"], True),
    ("الفيزياء", ["physics"], True),
    ("english", ["الإنجليزية"], True),
    ("الإنجليزية", ["English"], True),
    ("الانجليزيه", ["English literature"], True),  # a vocabulary name inside a longer subject
    ("انجليزي", ["اللغة الإنجليزية"], True),
    ("prog", ["Python programming"], True),
    ("برمجة", ["Python programming"], True),
    ("sci", ["Computer science"], True),  # a later word's start
    ("computer sci", ["Computer science"], True),
    ("français", ["French"], True),
    ("francais", ["Français"], True),
    ("physics", ["Mathematics"], False),
    ("ath", ["Mathematics"], False),  # inside a word, not its start
    ("story", ["History"], False),
    ("رياضيات", ["Physics"], False),
    ("english", ["Arabic"], False),
    ("!!!", ["Mathematics"], False),
    ("ال", ["Mathematics"], True),  # the start of "الرياضيات", as "m" is of "Mathematics"
    ("ز", ["Mathematics"], False),
]


@pytest.mark.parametrize(("typed", "subjects", "found"), CASES)
def test_matches(typed, subjects, found):
    assert matches(typed, subjects) is found


def test_stored_terms_hold_each_word_start_both_with_and_without_the_article_and_the_vocabulary_tags():
    assert subject_terms(["Computer science", "الكيمياء"]) == [
        "=chemistry", "=computer-science", "=science", "computer science", "science", "الكيميا", "كيميا",
    ]
    assert subject_terms([]) == []
    assert query_tags("رياض") == ("=mathematics",)


def test_the_vocabulary_is_bilingual_and_unambiguous():
    ids = [subject.id for subject in SUBJECTS]
    assert len(ids) == len(set(ids)) >= 30
    owner: dict[str, str] = {}
    for subject in SUBJECTS:
        assert subject.en.isascii() and not subject.ar.isascii()  # an English and an Arabic name each
        for name in subject.names:
            key = query_key(name)
            assert key, name
            assert owner.setdefault(key, subject.id) == subject.id, f"{name!r} names two subjects"
    assert "Mathematics" in subject_names("en") and MATHS_AR in subject_names("ar")
