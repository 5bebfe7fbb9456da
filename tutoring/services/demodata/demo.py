"""Demo data: volunteers across many zones, a few learners and a coordinator (SPEC §3 ``demo``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from tutoring.extensions import db
from tutoring.models import AvailabilityRule, Clearance, GuardianConsent, User
from tutoring.models.user import hash_password
from tutoring.services.support.help import load_examples as load_help_examples
from tutoring.services.people.accounts import create_user
from tutoring.services.demodata.demo_coordination import load_programmes
from tutoring.services.minors.guardians import request_consent
from tutoring.timeutil import utcnow

# Documented in the README; demo accounts are for local use only.
DEMO_PASSWORD = "demo-password"

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@dataclass(frozen=True)
class DemoVolunteer:
    """One demo volunteer and their weekly evenings/weekends in their own zone."""

    email: str
    name: str
    timezone: str
    language: str
    kinds: tuple[str, ...]
    subjects: tuple[str, ...]
    speaks: tuple[str, ...]
    bio: str
    rules: tuple[tuple, ...]  # (weekday, start, end) or (weekday, start, end, capacity) for a group window
    state: str = "approved"
    session_minutes: int = 45
    buffer_minutes: int = 15
    max_sessions_per_week: int | None = None


@dataclass(frozen=True)
class DemoPerson:
    """A demo learner or coordinator."""

    email: str
    name: str
    timezone: str
    language: str
    role: str = "learner"
    # Minors (SPEC §7): the guardian's address, and whether they consented (else the request waits for them).
    guardian: str | None = None
    guardian_consented: bool = False


# Subjects in either language: the search finds "Mathematics" and "الرياضيات"
# alike (tutoring/textsearch), so some Arabic speakers list theirs in Arabic.
# Weekends differ: Friday-Saturday in Egypt, the Gulf and Jordan; Saturday in
# Nepal; Saturday-Sunday elsewhere. Evenings are local evenings.
VOLUNTEERS: tuple[DemoVolunteer, ...] = (
    DemoVolunteer(
        "amira.hassan@example.org", "أميرة حسن", "Africa/Cairo", "ar",
        ("tutoring",), ("الرياضيات", "الفيزياء"), ("ar", "en"),
        "مهندسة تحب تبسيط الرياضيات والفيزياء لطلاب الثانوية.",
        # Saturday mornings are a group class of up to 8 learners (docs/GROUPS.md).
        ((SUN, "19:00", "21:00"), (TUE, "19:00", "21:00"), (THU, "20:00", "22:00"), (SAT, "10:00", "13:00", 8)),
    ),
    DemoVolunteer(
        "omar.alfarsi@example.org", "عمر الفارسي", "Asia/Riyadh", "ar",
        ("mentoring",), ("University applications", "Scholarships", "Study skills"), ("ar", "en"),
        "أساعد الطلاب في التقديم للجامعات والمنح الدراسية.",
        ((SUN, "20:00", "22:00"), (MON, "20:00", "22:00"), (WED, "20:30", "22:30"), (FRI, "16:00", "19:00")),
        session_minutes=60,
    ),
    DemoVolunteer(
        "james.whitfield@example.org", "James Whitfield", "Europe/London", "en",
        ("tutoring",), ("English literature", "Essay writing", "IELTS preparation"), ("en",),
        "Retired English teacher; happy to read drafts and talk about books.",
        ((MON, "18:30", "20:30"), (WED, "18:30", "20:30"), (SAT, "09:30", "12:00")),
    ),
    DemoVolunteer(
        "priya.shrestha@example.org", "Priya Shrestha", "Asia/Kathmandu", "en",
        ("tutoring", "mentoring"), ("Computer science", "Python programming", "Mathematics"), ("en", "ne", "hi"),
        "Software engineer in Kathmandu. First programs, algorithms, and what a tech career looks like.",
        ((TUE, "18:00", "20:00"), (THU, "18:00", "20:00"), (FRI, "19:00", "21:00"), (SAT, "07:00", "10:00")),
    ),
    DemoVolunteer(
        "grace.thompson@example.org", "Grace Thompson", "Australia/Sydney", "en",
        ("support", "mentoring"), ("Wellbeing", "Exam stress", "Time management"), ("en",),
        "Trained peer listener. Night owl, so my Wednesday window runs past midnight.",
        ((MON, "19:00", "21:00"), (WED, "21:00", "00:30"), (SUN, "14:00", "17:00")),
        session_minutes=50, buffer_minutes=10,
    ),
    DemoVolunteer(
        "daniel.okafor@example.org", "Daniel Okafor", "America/New_York", "en",
        ("mentoring",), ("Software careers", "Interview practice", "CV review"), ("en", "ig"),
        "Engineering manager; mock interviews and honest CV feedback.",
        ((TUE, "19:00", "21:00"), (THU, "19:00", "21:00"), (SAT, "10:00", "12:30")),
        session_minutes=30, buffer_minutes=10, max_sessions_per_week=4,
    ),
    DemoVolunteer(
        "youssef.benali@example.org", "يوسف بن علي", "Africa/Casablanca", "ar",
        ("tutoring",), ("اللغة الفرنسية", "الكيمياء"), ("ar", "fr", "en"),
        "أستاذ كيمياء، أدرّس أيضاً اللغة الفرنسية للمبتدئين.",
        ((MON, "18:00", "20:00"), (WED, "18:00", "20:00"), (SAT, "15:00", "18:00"), (SUN, "10:00", "12:00")),
    ),
    DemoVolunteer(
        "nour.khalil@example.org", "نور خليل", "Asia/Beirut", "ar",
        ("support",), ("Listening", "Stress and anxiety", "Settling in a new country"), ("ar", "en", "fr"),
        "مستمعة متطوعة. مساحة آمنة للحديث، بدون أحكام.",
        ((TUE, "20:00", "22:00"), (THU, "20:00", "22:00"), (SAT, "11:00", "14:00")),
        session_minutes=60,
    ),
    DemoVolunteer(
        "sofia.martinez@example.org", "Sofía Martínez", "America/Mexico_City", "en",
        ("tutoring",), ("Spanish", "Biology"), ("es", "en"),
        "Biology graduate student; Spanish conversation practice too.",
        ((MON, "17:00", "19:00"), (WED, "17:00", "19:00"), (FRI, "17:00", "19:00"), (SAT, "09:00", "11:00")),
    ),
    DemoVolunteer(
        "hana.yamamoto@example.org", "Hana Yamamoto", "Asia/Tokyo", "en",
        ("tutoring", "mentoring"), ("Japanese", "Mathematics", "Study skills"), ("ja", "en"),
        "Maths teacher in Osaka; also mentors students planning to study in Japan.",
        ((TUE, "20:00", "22:00"), (THU, "20:00", "22:00"), (SUN, "09:00", "12:00")),
    ),
    DemoVolunteer(
        "fatima.alzahra@example.org", "فاطمة الزهراء", "Asia/Dubai", "ar",
        ("mentoring", "support"), ("Medicine applications", "Women in STEM", "Biology"), ("ar", "en"),
        "طبيبة مقيمة، أرشد الطالبات الراغبات في دراسة الطب.",
        ((SAT, "10:00", "12:00"), (MON, "19:00", "21:00"), (WED, "19:00", "21:00"), (FRI, "15:00", "18:00")),
    ),
    DemoVolunteer(
        "karim.haddad@example.org", "Karim Haddad", "America/Toronto", "en",
        ("tutoring",), ("Physics", "Calculus", "Arabic for heritage learners"), ("ar", "en"),
        "Physics PhD student in Toronto; grew up speaking Arabic at home.",
        ((MON, "19:00", "21:30"), (THU, "19:00", "21:30"), (SUN, "13:00", "16:00")),
    ),
    DemoVolunteer(
        "aroha.ngata@example.org", "Aroha Ngata", "Pacific/Auckland", "en",
        ("tutoring", "support"), ("History", "Essay writing"), ("en", "mi"),
        "History teacher; patient with first essays.",
        ((TUE, "19:30", "21:30"), (SAT, "10:00", "12:00"), (SUN, "19:00", "21:00")),
    ),
    DemoVolunteer(
        "ahmed.saleh@example.org", "أحمد صالح", "Europe/London", "ar",
        ("tutoring", "mentoring", "support"), ("اللغة العربية", "التاريخ الإسلامي", "الرياضيات"), ("ar", "en"),
        "معلم لغة عربية في لندن، وأحب الحديث مع الطلاب الجدد في بريطانيا.",
        ((SAT, "10:00", "13:00"), (SUN, "10:00", "13:00"), (WED, "19:00", "21:00")),
    ),
    # Pending: signed up, waits for a coordinator, offers nothing yet.
    DemoVolunteer(
        "layla.mansour@example.org", "ليلى منصور", "Asia/Amman", "ar",
        ("support",), ("Listening",), ("ar",),
        "أخصائية اجتماعية متطوعة.",
        ((SUN, "18:00", "20:00"), (TUE, "18:00", "20:00"), (THU, "18:00", "20:00")),
        state="pending",
    ),
)

OTHERS: tuple[DemoPerson, ...] = (
    DemoPerson("sami@example.org", "سامي", "Africa/Cairo", "ar"),
    DemoPerson("ali@example.org", "علي", "Asia/Riyadh", "ar"),
    DemoPerson("maya@example.org", "Maya", "Europe/London", "en"),
    DemoPerson("lina@example.org", "Lina", "America/New_York", "en"),
    DemoPerson("bikash@example.org", "Bikash", "Asia/Kathmandu", "en"),
    # Minors (SPEC §7, issue 19): one whose guardian consented, one whose guardian hasn't answered yet.
    DemoPerson("rana.minor@example.org", "رنا", "Asia/Amman", "ar",
               guardian="rana.guardian@example.net", guardian_consented=True),
    DemoPerson("leo.minor@example.org", "Leo", "Europe/London", "en", guardian="leo.guardian@example.net"),
    DemoPerson("coordinator@example.org", "Programme coordinator", "Europe/London", "en", role="coordinator"),
)


@dataclass
class DemoResult:
    """Who the demo loader created this time and who was already there."""

    created: list[User] = field(default_factory=list)
    existing: list[User] = field(default_factory=list)

    @property
    def everyone(self) -> list[User]:
        """All demo users, created or not, in definition order."""
        return sorted(self.created + self.existing, key=lambda user: user.id)


# Demo volunteers not yet trained: their dashboards say why `support` isn't offered.
DEMO_UNTRAINED = frozenset({"fatima.alzahra@example.org", "layla.mansour@example.org"})


# Cleared for work with minors (SPEC §7): email -> (days since the check, days until its last valid day or None).
# One ends within the coordinators' reminder period, so the overview shows it.
DEMO_CLEARED: dict[str, tuple[int, int | None]] = {
    "amira.hassan@example.org": (120, None),
    "james.whitfield@example.org": (300, None),
    "ahmed.saleh@example.org": (60, None),
    "hana.yamamoto@example.org": (340, 25),
}


def _clear(user: User, checked_days_ago: int, days_left: int | None) -> None:
    today = utcnow().date()
    db.session.add(Clearance(
        volunteer_id=user.id, checked_on=today - timedelta(days=checked_days_ago),
        expires_on=None if days_left is None else today + timedelta(days=days_left),
        note="Demo data: no real check was done.",
    ))


def _add_minor(spec: DemoPerson, user: User) -> None:
    """Make the new learner a minor: the guardian's consent email is queued, and answered for the consented one."""
    consent = request_consent(user, spec.guardian)
    if spec.guardian_consented:
        consent.status, consent.decided_at = "consented", utcnow()


def _add_volunteer(spec: DemoVolunteer, password_hash: str) -> User:
    user = create_user(
        spec.email,
        role="volunteer",
        display_name=spec.name,
        timezone=spec.timezone,
        password=DEMO_PASSWORD,
        password_hash=password_hash,
        language=spec.language,
        kinds=spec.kinds,
        approved=spec.state == "approved",
        # Trained for what they offer (SPEC §7), except the listeners the demo's listening line hasn't trained yet.
        trained=() if spec.email in DEMO_UNTRAINED else spec.kinds,
        subjects=spec.subjects,
        languages_spoken=spec.speaks,
        bio=spec.bio,
    )
    profile = user.volunteer_profile
    profile.session_minutes = spec.session_minutes
    profile.buffer_minutes = spec.buffer_minutes
    profile.max_sessions_per_week = spec.max_sessions_per_week
    for weekday, start, end, *capacity in spec.rules:
        profile.rules.append(AvailabilityRule(weekday=weekday, start=start, end=end, capacity=capacity[0] if capacity else 1))
    if spec.email in DEMO_CLEARED:
        _clear(user, *DEMO_CLEARED[spec.email])
    return user


def load_demo() -> DemoResult:
    """Create every demo person who doesn't exist yet (matched by email) and commit; existing ones are left alone."""
    result = DemoResult()
    # One argon2 hash for all demo accounts: hashing is slow on purpose, and
    # they share a published password anyway.
    password_hash = hash_password(DEMO_PASSWORD)
    for spec in (*VOLUNTEERS, *OTHERS):
        existing = User.by_email(spec.email)
        if existing is not None:
            result.existing.append(existing)
        elif isinstance(spec, DemoVolunteer):
            result.created.append(_add_volunteer(spec, password_hash))
        else:
            user = create_user(
                spec.email,
                role=spec.role,
                display_name=spec.name,
                timezone=spec.timezone,
                password=DEMO_PASSWORD,
                password_hash=password_hash,
                language=spec.language,
            )
            if spec.guardian:
                _add_minor(spec, user)
            result.created.append(user)
    load_programmes()  # programmes and past sessions for the coordinator's reports (issue 7)
    load_help_examples()  # clearly labelled example crisis lines for /help (issue 18)
    db.session.commit()
    return result


def demo_label(user: User) -> str:
    """What the ``demo`` listing adds after a user: a volunteer's state and clearance, a minor's consent."""
    if user.volunteer_profile is not None:
        cleared = db.session.get(Clearance, user.id)
        until = "" if cleared is None or cleared.expires_on is None else f" until {cleared.expires_on.isoformat()}"
        return f" [{user.volunteer_profile.state}]" + (f" [cleared for minors{until}]" if cleared else "")
    if user.is_learner and user.is_minor:
        consent = db.session.get(GuardianConsent, user.id)
        return f" [minor, guardian {consent.guardian_email}: {consent.status}]" if consent else " [minor]"
    return ""
