"""ORM models, one module per area; import them from here."""

from deliberate.models.accounts import (
    AuditEntry,
    Invitation,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    PasswordReset,
    Role,
    User,
)
from deliberate.models.agenda import AgendaItem
from deliberate.models.assemblies import Assembly, PaperEntry
from deliberate.models.ballots import Ballot, BallotBox, BallotCast, SealedBallot, Tally
from deliberate.models.base import utcnow
from deliberate.models.consultations import (
    Category,
    Consultation,
)
from deliberate.models.demands import (
    Argument,
    ArgumentVote,
    Demand,
    DemandVersion,
    Language,
    Notification,
    Reaction,
    ReactionValue,
    Report,
    Side,
    Target,
)
from deliberate.models.events import Event, EventMaterial, Rsvp, Track
from deliberate.models.health import QuotaRule
from deliberate.models.jobs import (
    Audience,
    Delivery,
    Fanout,
    Job,
    JobStatus,
    MailStatus,
    NotificationPreference,
    OutgoingMail,
    PolisUpload,
)
from deliberate.models.mentoring import Mentoring, MentoringMeeting, MentorOffer, MentorRequest
from deliberate.models.opinion import OpinionSnapshot
from deliberate.models.programmes import (
    Commitment,
    Follow,
    Funding,
    Milestone,
    Programme,
    ProgrammeUpdate,
    UpdatePhoto,
)
from deliberate.models.publication import (
    Agenda,
    AgendaExport,
    AgendaVersion,
    MinorityReport,
    MinorityReportCosign,
)
from deliberate.models.volunteers import VolunteerAssignment, VolunteerRole

__all__ = [
    "Audience",
    "Delivery",
    "Fanout",
    "Job",
    "JobStatus",
    "MailStatus",
    "NotificationPreference",
    "OutgoingMail",
    "PolisUpload",
    "Agenda",
    "AgendaExport",
    "AgendaVersion",
    "MinorityReport",
    "MinorityReportCosign",
    "AgendaItem",
    "Assembly",
    "PaperEntry",
    "Argument",
    "ArgumentVote",
    "Ballot",
    "BallotBox",
    "BallotCast",
    "Category",
    "Commitment",
    "Follow",
    "Funding",
    "Milestone",
    "Programme",
    "ProgrammeUpdate",
    "UpdatePhoto",
    "QuotaRule",
    "MentorOffer",
    "MentorRequest",
    "Mentoring",
    "MentoringMeeting",
    "Consultation",
    "Demand",
    "Event",
    "EventMaterial",
    "Rsvp",
    "Track",
    "DemandVersion",
    "Language",
    "Notification",
    "OpinionSnapshot",
    "Reaction",
    "ReactionValue",
    "Report",
    "SealedBallot",
    "Side",
    "Tally",
    "Target",
    "AuditEntry",
    "Invitation",
    "Membership",
    "MembershipStatus",
    "Organization",
    "OrganizationKind",
    "PasswordReset",
    "Role",
    "User",
    "VolunteerAssignment",
    "VolunteerRole",
    "utcnow",
]
