"""SQLAlchemy models, one module per concept; importing this registers them all."""
from tutoring.models.audit import AUDIT_ACTIONS, AuditEntry
from tutoring.models.availability import AvailabilityRule, AwayPeriod, ExtraWindow
from tutoring.models.block import LearnerBlock
from tutoring.models.booking import BOOKING_STATUSES, Booking
from tutoring.models.checkin import CheckIn, DutyShift
from tutoring.models.help import HelpResource
from tutoring.models.minors import CONSENT_STATUSES, Clearance, GuardianConsent
from tutoring.models.message import MAX_MESSAGE_LENGTH, MESSAGE_KINDS, Message, RoomPresence, message_reports
from tutoring.models.external_calendar import CALENDAR_KINDS, ExternalBusyTime, ExternalCalendar
from tutoring.models.notice import NOTICE_KINDS, Notice
from tutoring.models.outbox import OUTBOX_KINDS, OutboxMessage
from tutoring.models.programme import Programme, ProgrammeMember
from tutoring.models.safeguarding import REPORT_STATUSES, SafeguardingReport
from tutoring.models.series import Series
from tutoring.models.session import SESSION_STATUSES, Session
from tutoring.models.token import ApiToken
from tutoring.models.training import TrainingRecord
from tutoring.models.types import UTCDateTime
from tutoring.models.user import LANGUAGES, ROLES, User
from tutoring.models.volunteer import KINDS, STATES, ScheduleVersion, SubjectTerm, VolunteerProfile
from tutoring.models.waitlist import WAITLIST_STATUSES, WaitlistRequest

__all__ = [
    "CheckIn",
    "DutyShift",
    "AUDIT_ACTIONS",
    "TrainingRecord",
    "CONSENT_STATUSES",
    "Clearance",
    "GuardianConsent",
    "HelpResource",
    "MAX_MESSAGE_LENGTH",
    "Message",
    "MESSAGE_KINDS",
    "RoomPresence",
    "message_reports",
    "REPORT_STATUSES",
    "AuditEntry",
    "LearnerBlock",
    "Programme",
    "ProgrammeMember",
    "SafeguardingReport",
    "BOOKING_STATUSES",
    "KINDS",
    "LANGUAGES",
    "OUTBOX_KINDS",
    "ROLES",
    "SESSION_STATUSES",
    "STATES",
    "ApiToken",
    "AvailabilityRule",
    "AwayPeriod",
    "Booking",
    "CALENDAR_KINDS",
    "ExternalBusyTime",
    "ExternalCalendar",
    "ExtraWindow",
    "OutboxMessage",
    "Series",
    "Session",
    "User",
    "UTCDateTime",
    "ScheduleVersion",
    "VolunteerProfile",
    "SubjectTerm",
    "NOTICE_KINDS",
    "WAITLIST_STATUSES",
    "Notice",
    "WaitlistRequest",
]
