"""Words of crisis (issue 18 part 3): does a learner's note mention self-harm, suicide, abuse or danger?

A pure core: text in, yes or no out. The terms live in ``crisis_terms.txt``
beside this module (curated, Arabic with dialects and Arabizi, English with
evasive spellings), so people who know the field can change them without
touching code. Matching is on whole words after normalising both sides the
same way, so a short term never fires inside a longer word (``كس`` in
``كسرت``, ``die`` in ``diet``). The result only decides whether the writer
is shown the help for their country: a false positive costs a kind panel,
a miss costs more, so doubtful idioms err towards matching. The text is
never stored or sent anywhere by this module.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["mentions_crisis", "normalise", "terms"]

# Arabic marks that change nothing for matching: harakat, superscript alef, Quranic marks, tatweel.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans({
    "\u0622": "\u0627", "\u0623": "\u0627", "\u0625": "\u0627", "\u0671": "\u0627",  # آ أ إ ٱ -> ا
    "\u0649": "\u064a", "\u06cc": "\u064a", "\u0626": "\u064a",  # ى ی ئ -> ي
    "\u0629": "\u0647",  # ة -> ه
    "\u0624": "\u0648",  # ؤ -> و
    "\u06a9": "\u0643",  # ک -> ك
    "\u2019": "", "'": "", "\u02bc": "",  # don't -> dont
})
# Digits and signs written for letters in Latin words (su1cide, k1ll, $elf): only inside words that also have
# letters, and matched beside the unchanged form, since Arabizi writes 3 for ع and 7 for ح.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_TOKEN = re.compile(r"[@$]?\w+(?:[@$!]+\w+)*")
_REPEATS = re.compile(r"(.)\1+")
# Prefixes glued to Arabic words: and, so, with, to, like, the, will (و ف ب ل ك ال س), longest first.
_ARABIC_PREFIXES = ("وبال", "وال", "فال", "بال", "كال", "ولل", "لل", "ال", "و", "ف", "ب", "ل", "ك", "س")
_ARABIC = re.compile("[\u0600-\u06ff]")


def normalise(text: str) -> str:
    """The form both terms and notes are compared in: NFKC, case-folded, Arabic letters unified, no marks."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    return text


def _tokens(text: str) -> list[str]:
    """Words of normalised ``text``; runs of three or more single letters (``s u i c i d e``) join into one word."""
    words = [word.replace("_", "") for word in _TOKEN.findall(text)]
    words = [word for word in words if word]
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and not word.isdigit():
            run.append(word)
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return joined


def _squeeze(word: str) -> str:
    """Letters said once however long they are held (``diiie``, ``موووت``); terms are squeezed the same way."""
    return _REPEATS.sub(r"\1", word)


def _forms(word: str) -> frozenset[str]:
    """Every form a note's word may match a term in: as written, with digits read as letters, without a glued prefix."""
    forms = {_squeeze(word)}
    if any(ch.isdigit() or ch in "@$!" for ch in word) and any(ch.isalpha() for ch in word):
        forms.add(_squeeze(word.translate(_LEET)))
    if _ARABIC.search(word):
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                forms.add(_squeeze(word[len(prefix):]))
    return frozenset(forms)


@dataclass(frozen=True)
class Term:
    """One phrase of the list: its words (a word ending in ``*`` matches any word it begins)."""

    words: tuple[str, ...]
    not_after_number: bool = False  # "kms" is kilometres after a number ("5 kms")

    def matches_at(self, forms: list[frozenset[str]], words: list[str], index: int) -> bool:
        if index + len(self.words) > len(forms):
            return False
        if self.not_after_number and index > 0 and words[index - 1].isdigit():
            return False
        for offset, wanted in enumerate(self.words):
            candidates = forms[index + offset]
            if wanted.endswith("*"):
                stem = wanted[:-1]
                if not any(form.startswith(stem) for form in candidates):
                    return False
            elif wanted not in candidates:
                return False
        return True


def parse_terms(source: str) -> tuple[Term, ...]:
    """The terms of a list in ``crisis_terms.txt``'s format: a phrase a line, ``#`` comments, ``[not-after-number]``."""
    parsed = []
    for line in source.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        flag = "[not-after-number]" in line
        line = line.replace("[not-after-number]", "")
        words = []
        for word in normalise(line).replace("-", " ").split():
            star = word.endswith("*")
            word = _squeeze(word.rstrip("*"))
            words.append(word + "*" if star else word)
        if words:
            parsed.append(Term(tuple(words), flag))
    return tuple(parsed)


@cache
def terms() -> tuple[Term, ...]:
    """The shipped list (``crisis_terms.txt``), read once."""
    return parse_terms(resources.files(__package__).joinpath("crisis_terms.txt").read_text(encoding="utf-8"))


def mentions_crisis(text: str) -> bool:
    """True when ``text`` contains words of self-harm, suicide, wanting to die, abuse or being in danger."""
    if not text or not isinstance(text, str):
        return False
    words = _tokens(normalise(text))
    # A phrase written without spaces ("killmyself") is one word: the list has those forms too.
    forms = [_forms(word) for word in words]
    by_first: dict[str, list[Term]] = _index()
    for index, candidates in enumerate(forms):
        for form in candidates:
            for term in by_first.get(form[:2], ()):
                if term.matches_at(forms, words, index):
                    return True
    return False


@cache
def _index() -> dict[str, list[Term]]:
    """Terms by the first two letters of their first word, so a note is compared with a few terms per word."""
    index: dict[str, list[Term]] = {}
    for term in terms():
        index.setdefault(term.words[0].rstrip("*")[:2], []).append(term)
    return index
