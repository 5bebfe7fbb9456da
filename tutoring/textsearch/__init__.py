"""Forgiving text search, pure: Arabic and Latin text normalised to search keys, and the shared subject vocabulary.

No Flask, no database (an import-linter contract): strings in, strings out.
The search service stores ``subject_key`` of each volunteer's subjects and
filters with ``query_key`` of what the viewer typed (docs/SEARCH.md).
"""
from tutoring.textsearch.normalise import normalise, words
from tutoring.textsearch.subjects import (
    SUBJECTS, Subject, matches, query_key, query_tags, subject_key, subject_names, subject_terms, vocabulary_subjects,
)

__all__ = [
    "SUBJECTS", "Subject", "matches", "normalise", "query_key", "query_tags", "subject_key", "subject_names",
    "subject_terms", "vocabulary_subjects", "words",
]
