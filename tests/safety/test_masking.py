"""The masking core (SPEC §7 Messages): contact details in both scripts are hidden; times, dates, prices and sums are not."""
from __future__ import annotations

import pytest

from tutoring.safety.masking import PLACEHOLDER, mask_contacts

MUST_MASK = [
    # phone numbers: spaced, dotted, dashed, in parentheses, with a country code, in three digit scripts
    ("call me on 0555 123 4567 tonight", "phone"),
    ("+44 20 7946 0958", "phone"),
    ("(555) 123-4567", "phone"),
    ("055.123.4567", "phone"),
    ("00966 55 123 4567", "phone"),
    ("0 5 5 5 1 2 3 4 5 6", "phone"),
    ("my number 5551234567", "phone"),
    ("٠٥٥٥ ١٢٣ ٤٥٦٧", "phone"),
    ("رقمي ٠٥٥-١٢٣-٤٥٦٧ اتصل بي", "phone"),
    ("+٩٦٦ ٥٥ ١٢٣ ٤٥٦٧", "phone"),
    ("شماره من ۰۹۱۲ ۳۴۵ ۶۷۸۹", "phone"),
    ("mixed ٠٥٥5 12٣ 4567", "phone"),
    # email addresses, and the usual ways of spelling them out
    ("write to nour.ahmed+x@gmail.com please", "email"),
    ("nour at gmail dot com", "email"),
    ("nour [at] gmail [dot] com", "email"),
    ("nour(at)yahoo.fr", "email"),
    ("nour @ hotmail . com", "email"),
    ("بريدي nour_22@outlook.sa شكرا", "email"),
    # social handles
    ("add me @nour_22", "handle"),
    ("insta: nour.a", "handle"),
    ("my snap is nour22", "handle"),
    ("telegram: nourahmed", "handle"),
    ("whatsapp - nour_1", "handle"),
    ("واتساب: nour_22", "handle"),
    ("سناب nour.2010", "handle"),
    # links to outside chat and meeting services
    ("https://wa.me/9665551234", "link"),
    ("t.me/nourahmed", "link"),
    ("join me at zoom.us/j/123456 later", "link"),
    ("https://meet.google.com/abc-defg-hij", "link"),
    ("discord.gg/abcdef", "link"),
    ("https://chat.whatsapp.com/AbCdEf", "link"),
    ("www.instagram.com/nour", "link"),
]

MUST_NOT_MASK = [
    "see you at 18:30",
    "الساعة ٦:٣٠ مساء",
    "on 2026-12-07 at 18:30",
    "on 7/12/2026",
    "٧/١٢/٢٠٢٦",
    "it costs $25",
    "about 1,000 words",
    "1,000,000 people",
    "3x + 5 = 20",
    "2^10 = 1024",
    "2^30 = 1073741824",
    "12 × 12 = 144",
    "١٢ × ١٢ = ١٤٤",
    "born in 1999, now 2026",
    "1990 2000 2010 2020",
    "read page 245, then pages 12-15",
    "chapter 3, exercise 14b",
    "I love instagram so much",
    "meet at school at 5",
    "worksheet: https://www.khanacademy.org/math/algebra",
    "x = 1234567",
    "email me? no, we talk here",
    "what would you like to work on?",
    "ماذا تريد أن ندرس اليوم؟",
]


@pytest.mark.parametrize(("text", "reason"), MUST_MASK)
def test_contact_details_are_replaced_and_named(text: str, reason: str) -> None:
    masked_text, was_masked, reasons = mask_contacts(text)
    assert was_masked
    assert reason in reasons
    assert PLACEHOLDER in masked_text
    digits = [ch for ch in masked_text if ch.isdecimal()]
    assert len(digits) < 7, masked_text


@pytest.mark.parametrize("text", MUST_NOT_MASK)
def test_times_dates_prices_and_sums_pass_unchanged(text: str) -> None:
    assert tuple(mask_contacts(text)) == (text, False, ())


def test_the_words_around_a_masked_number_stay() -> None:
    masked_text, _, _ = mask_contacts("call 0555 123 4567 after 18:30 on 2026-12-07")
    assert masked_text == f"call {PLACEHOLDER} after 18:30 on 2026-12-07"


def test_several_kinds_in_one_message_are_all_named() -> None:
    masked_text, was_masked, reasons = mask_contacts("nour@gmail.com or ٠٥٥٥١٢٣٤٥٦٧ or t.me/nour")
    assert was_masked and set(reasons) == {"email", "phone", "link"}
    assert masked_text == f"{PLACEHOLDER} or {PLACEHOLDER} or {PLACEHOLDER}"


def test_invisible_characters_do_not_hide_a_number() -> None:
    masked_text, was_masked, reasons = mask_contacts("0555\u200b123\u2060 4567\u202e")
    assert (masked_text, was_masked, reasons) == (PLACEHOLDER, True, ("phone",))
