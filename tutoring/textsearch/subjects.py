"""The shared subject vocabulary and the search keys built from it.

A volunteer's subjects become *terms*: each subject's normalised words from
every word on (``"computer science"``, ``"science"``), with and without the
Arabic article, plus a tag (``=mathematics``) for each vocabulary subject it
names. A typed query matches a term it begins (word starts: "chem" finds
"Chemistry", "sci" finds "Computer science"), and every tag of a
vocabulary subject one of whose names it begins, so "رياضيات" finds
"Mathematics" and "english" finds "اللغة الإنجليزية". The terms are stored
one row each (``subject_terms``), so the database filters by an index range.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from tutoring.textsearch.normalise import normalise, without_article

# Stored terms are cut to this length (the column's), queries too: a longer query matches what its start matches.
MAX_TERM = 100
TAG = "="  # no normalised word holds it (punctuation separates words)


@dataclass(frozen=True)
class Subject:
    """One subject of the shared vocabulary: its id, English and Arabic names, and other names in either language."""

    id: str
    en: str
    ar: str
    variants: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        """Its name in ``language`` (``ar``, else English)."""
        return self.ar if language == "ar" else self.en

    @property
    def names(self) -> tuple[str, ...]:
        """Every name it goes by."""
        return (self.en, self.ar, *self.variants)

    @property
    def tag(self) -> str:
        """The term every volunteer offering it carries."""
        return TAG + self.id


def _load() -> tuple[Subject, ...]:
    data = json.loads(resources.files(__package__).joinpath("subjects.json").read_text(encoding="utf-8"))
    return tuple(
        Subject(entry["id"], entry["en"], entry["ar"], tuple(entry.get("variants", ()))) for entry in data["subjects"]
    )


SUBJECTS: tuple[Subject, ...] = _load()


def subject_names(language: str) -> list[str]:
    """The vocabulary's subject names in ``language``, sorted: what the profile editor suggests."""
    return sorted((subject.name(language) for subject in SUBJECTS), key=normalise)


def _stems(text: str) -> tuple[str, ...]:
    """The normalised words of ``text`` without their article."""
    return tuple(without_article(word) for word in normalise(text).split())


def _phrase_terms(text: str) -> set[str]:
    """Each word-start of ``text`` to its end: with articles as written and without (so "الر" and "ري" both find
    "الرياضيات")."""
    terms = set()
    for words in (normalise(text).split(), list(_stems(text))):
        for start in range(len(words)):
            terms.add(" ".join(words[start:])[:MAX_TERM])
    return terms


@cache
def _vocabulary_stems() -> tuple[tuple[Subject, tuple[tuple[str, ...], ...]], ...]:
    return tuple((subject, tuple(_stems(name) for name in subject.names)) for subject in SUBJECTS)


@cache
def _vocabulary_terms() -> tuple[tuple[Subject, frozenset[str]], ...]:
    return tuple(
        (subject, frozenset(term for name in subject.names for term in _phrase_terms(name))) for subject in SUBJECTS
    )


def _holds(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """True if ``phrase`` appears in ``words`` as whole words, in order."""
    size = len(phrase)
    return size > 0 and any(words[start : start + size] == phrase for start in range(len(words) - size + 1))


def vocabulary_subjects(text: str) -> list[Subject]:
    """The vocabulary subjects ``text`` names (one of their names, as whole words: "Python programming" names
    Programming)."""
    words = _stems(text)
    return [subject for subject, phrases in _vocabulary_stems() if any(_holds(words, phrase) for phrase in phrases)]


def subject_terms(subjects: list[str] | tuple[str, ...]) -> list[str]:
    """The search terms stored for a volunteer offering ``subjects``, sorted."""
    terms: set[str] = set()
    for text in subjects:
        terms |= _phrase_terms(text)
        terms |= {subject.tag for subject in vocabulary_subjects(text)}
    terms.discard("")
    return sorted(terms)


@lru_cache(maxsize=1024)
def query_key(typed: str) -> str:
    """What stored terms must begin with to match ``typed``: its normalised words, articles off ("" if none)."""
    return " ".join(_stems(typed))[:MAX_TERM]


@lru_cache(maxsize=1024)
def query_tags(typed: str) -> tuple[str, ...]:
    """The tags of the vocabulary subjects one of whose names begins (at a word start) with ``typed``."""
    key = query_key(typed)
    if not key:
        return ()
    return tuple(subject.tag for subject, terms in _vocabulary_terms() if any(term.startswith(key) for term in terms))


def subject_key(subjects: list[str] | tuple[str, ...]) -> str:
    """The stored terms as one line (for reading and tests): what ``matches`` compares with."""
    return "|".join(subject_terms(subjects))


def matches(typed: str, subjects: list[str] | tuple[str, ...]) -> bool:
    """True if a search for ``typed`` finds a volunteer offering ``subjects`` (the rule the SQL applies)."""
    key, tags = query_key(typed), set(query_tags(typed))
    if not key:
        return False
    return any(term.startswith(key) or term in tags for term in subject_terms(subjects))
