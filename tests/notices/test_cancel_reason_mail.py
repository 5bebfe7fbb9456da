"""The other party's cancellation email says why (issue 22, item 13), without letting contact details cross.

The person who cancelled gets no copy of their own reason; the other gets it
in their language, with phone numbers, addresses, links and handles hidden
(SPEC §7). A support session's reason stays on the site (SPEC §5): the email
says only that one was given.
"""
from __future__ import annotations

import email
from email import policy

from tests.notices.test_outbox_support import NOW, TUE_10, decoded_text, outbox_rows, pair  # noqa: F401  (fixtures)
from tutoring.calendar.invite import masked_reason
from tutoring.booking.operations import book_session, cancel_booking


def cancel_notices(app) -> dict[str, str]:
    """The text of each cancellation notice queued, by recipient."""
    notices = {}
    for row in outbox_rows(app):
        if row.dedupe_key.startswith("cancelled:"):
            message = email.message_from_bytes(row.message, policy=policy.default)
            notices[row.recipient] = decoded_text(message).replace("\u202f", " ")
    return notices


def book_and_cancel(app, pair, kind: str, by: str, reason: str) -> dict[str, str]:
    volunteer, learner = pair
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, kind, now=NOW).id
        cancel_booking(learner.id if by == "learner" else volunteer.id, booking_id, reason=reason, now=NOW)
    return cancel_notices(app)


def test_the_volunteer_reads_the_learners_reason_in_arabic_and_the_learner_gets_no_copy(app, pair):
    notices = book_and_cancel(app, pair, "tutoring", "learner", "My exam was moved to that evening, sorry")
    assert "السبب المذكور: My exam was moved to that evening, sorry" in notices["amira@example.org"]
    assert "My exam was moved" not in notices["maya@example.org"]
    assert "Reason given" not in notices["maya@example.org"]


def test_the_learner_reads_the_volunteers_reason(app, pair):
    notices = book_and_cancel(app, pair, "tutoring", "volunteer", "I am ill today")
    assert "Reason given: I am ill today" in notices["maya@example.org"]
    assert "I am ill today" not in notices["amira@example.org"]


def test_contact_details_in_a_reason_never_reach_the_other_party(app, pair):
    reason = "Text me on +44 7700 900123 or ٠٥٠١٢٣٤٥٦٧, mail maya.home@gmail.com, https://wa.me/447700 or @maya_k"
    notices = book_and_cancel(app, pair, "tutoring", "learner", reason)
    text = notices["amira@example.org"]
    assert "السبب المذكور: Text me on […] or […], mail […] […] or […]" in text
    for secret in ("7700", "٠٥٠١", "gmail", "wa.me", "maya_k"):
        assert secret not in text


def test_a_support_sessions_reason_stays_on_the_site(app, pair):
    notices = book_and_cancel(app, pair, "support", "learner", "SECRET-REASON feeling much better about things")
    assert "SECRET-REASON" not in notices["amira@example.org"]
    assert "ذُكر سبب للإلغاء، وهو في صفحة الحجز." in notices["amira@example.org"]


def test_no_reason_no_line(app, pair):
    notices = book_and_cancel(app, pair, "tutoring", "learner", "")
    assert "السبب المذكور" not in notices["amira@example.org"] and "ذُكر سبب" not in notices["amira@example.org"]


def test_masking_keeps_dates_times_and_short_numbers():
    assert masked_reason("Away until 2027-01-09 at 18:00, back in 3 days") == \
        "Away until 2027-01-09 at 18:00, back in 3 days"
    assert masked_reason("call 0501234567") == "call […]"
    assert masked_reason("  two\nlines ") == "two lines"
    assert len(masked_reason("x" * 2000)) == 500
