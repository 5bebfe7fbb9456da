"""Text as a search compares it: any case, no accents or harakat, one spelling of each Arabic letter family.

``normalise("الإنجليزيّة")`` and ``normalise("انجليزيه")`` are equal, and so
are ``normalise("Français")`` and ``normalise("francais")``. Both the
stored keys and the typed queries go through here, so a spelling rule
added here applies to both sides (after the stored keys are rebuilt: see
``tutoring.services.discovery.search.rebuild_subject_keys``).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# One letter per family: the alef forms (hamza above/below, madda, wasla),
# ta marbuta as ha, alef maqsura and Persian ya as ya, hamza on waw/ya as the
# bare letter, Persian kaf as kaf; the lone hamza and tatweel go, and
# Arabic-Indic and Eastern Arabic-Indic digits become ASCII ones.
_LETTERS = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
        "ة": "ه", "ى": "ي", "ی": "ي", "ې": "ي", "ئ": "ي", "ؤ": "و", "ک": "ك",
        "ء": None, "ـ": None,
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    }
)
# Anything that is not a letter or a digit separates words ("C++" is "c", "Essay-writing" two words).
_SEPARATORS = re.compile(r"[\W_]+")
# The article ال, alone or after the one-letter prefixes و ف ب ك ل ("والرياضيات",
# "بالعربية"; ل+ال is written لل: "للرياضيات"). The rest must keep two letters,
# so "ال" typed alone (or "الر" on the way to "الرياضيات") is left as typed.
_ARTICLE = re.compile(r"^(?:[وف]?(?:[بك]?ال|لل))(?=..)")
# Long enough for any search; longer text is cut, not refused (keys only compare).
MAX_TEXT = 200


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """``text`` lower-cased (casefold), without accents, harakat or tatweel, Arabic letters unified, one space
    between words, no punctuation; the article is left on (see ``words``)."""
    text = unicodedata.normalize("NFKD", text[:MAX_TEXT])
    # Combining marks are Latin accents and the Arabic harakat, shadda, sukun and dagger alef alike.
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = unicodedata.normalize("NFKC", text).translate(_LETTERS).casefold()
    return " ".join(_SEPARATORS.sub(" ", text).split())


def without_article(word: str) -> str:
    """``word`` without a leading Arabic article (and the prefix letters before it), if the rest is 2+ letters."""
    return _ARTICLE.sub("", word, count=1)


def words(text: str) -> list[str]:
    """The normalised words of ``text``, each without its article."""
    return [without_article(word) for word in normalise(text).split()]
