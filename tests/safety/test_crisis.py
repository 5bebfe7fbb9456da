"""Words of crisis (issue 18 part 3): the pure matcher and its curated list, in Arabic and English.

The choice the list makes: a match only shows the writer where help is (harmless), so doubtful idioms err
towards matching ("this homework makes me want to die" matches); everyday words that merely contain a
term's letters never match (whole words only), nor do common idioms with no word of harm in them
("this maths problem is killing me" does not: "killing" alone is no term).
"""
from __future__ import annotations

import pytest

from tutoring.safety.crisis import mentions_crisis, normalise, parse_terms, terms

POSITIVE = [
    # English, plain and evasive
    "I want to die",
    "i really want to die!!",
    "I think about suicide a lot",
    "feeling suicidal tonight",
    "s u i c i d e",
    "s.u.i.c.i.d.e",
    "su1cide",
    "$uicide",
    "suiciiiide",
    "I might unalive myself",
    "kms",
    "honestly kms",
    "I'm going to kill myself",
    "KILL   MYSELF",
    "k1ll myself",
    "killmyself",
    "I don't want to live anymore",
    "I dont want to be alive",
    "I've been cutting myself",
    "self-harm again",
    "selfharm",
    "my dad hits me",
    "my uncle touched me",
    "I'm not safe at home",
    "scared to go home",
    "this homework makes me want to die",  # hyperbole, but showing help is harmless
    # Modern Standard Arabic, with and without diacritics, hamza and tatweel
    "أريدُ أنْ أموتَ",
    "اريد ان اموت",
    "أفكر في الانتحار",
    "والانتحار",
    "انتحــــار",
    "سأنتحر",
    "انتحرت تقريبا",
    "سأقتل نفسي",
    "أؤذي نفسي كل ليلة",
    "إيذاء النفس",
    "تعبت من الحياة",
    "لا أريد أن أعيش",
    # Egyptian
    "أنا عايز أموت",
    "عايزة أموت",
    "هنتحر",
    "مش عايزة أعيش",
    # Levantine
    "بدي موت",
    "والله بدي اموت",
    "رح اقتل حالي",
    "ما بدي عيش",
    # Gulf
    "أبغى أموت",
    "ابي انتحر",
    "ودي اموت",
    # Maghrebi
    "بغيت نموت",
    "نقتل روحي",
    # abuse and danger
    "أبي يضربني",
    "تعرضت للتحرش",
    "أنا في خطر",
    "خايفة ارجع البيت",
    # Arabizi
    "ana 3ayez amot",
    "bdi mot",
    "ente7ar",
]

NEGATIVE = [
    "",
    "Can we go over quadratic equations?",
    "this maths problem is killing me",
    "I'm dying to see the new film",
    "my diet starts on Monday",
    "we ran 5 kms yesterday",
    "the kids studied history",
    "I cut the paper for the project",
    "كس",
    "كسرت الكوب",
    "أريد أن أتعلم الرياضيات",
    "موت الخلايا في الأحياء",  # biology: "death of cells" (no phrase of wanting to die)
    "مدرسة البنات",
    "أحب القراءة كثيرا",
    "عندي امتحان بكرة",
    "ana 3ayez at3alem english",
]


@pytest.mark.parametrize("text", POSITIVE)
def test_words_of_crisis_are_seen(text):
    assert mentions_crisis(text), text


@pytest.mark.parametrize("text", NEGATIVE)
def test_everyday_words_are_not_taken_for_crisis(text):
    assert not mentions_crisis(text), text


def test_arabic_is_normalised_alef_ya_ta_marbuta_diacritics_and_tatweel():
    assert normalise("إِنْتِحَــارٌ") == normalise("انتحار")
    assert normalise("مستشفى") == normalise("مستشفي")
    assert normalise("حياة") == normalise("حياه")
    assert normalise("أأإآ") == "اااا"


def test_the_shipped_list_is_read_from_package_data_and_covers_both_languages():
    words = {word for term in terms() for word in term.words}
    assert len(terms()) > 200
    assert any("\u0600" <= ch <= "\u06ff" for word in words for ch in word)
    assert "suicide" in words or "suicid*" in words
    # a bare short word that hides inside everyday words must never be a term
    assert not any(term.words in {("كس",), ("die",), ("cut",), ("kill",)} for term in terms())


def test_a_term_matches_whole_words_only_and_a_star_word_its_beginning():
    parsed = parse_terms("ab*\nfoo bar  # a comment\n")
    assert [term.words for term in parsed] == [("ab*",), ("fo", "bar")]  # held letters are squeezed


def test_non_text_is_no_crisis():
    assert mentions_crisis(None) is False  # type: ignore[arg-type]
