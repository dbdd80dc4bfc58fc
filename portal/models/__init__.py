"""The core models, one module per concern; import them from here."""

from .accounts import Area, Membership, Organisation, PortalUserManager, User
from .audit import PersonalDataAccess, PrivacyNotice, RefusedAccess, RetentionRun
from .cases import Attachment, Case, CaseParty, ReferenceCounter, TimelineEntry
from .exports import ExportJob
from .followups import FollowUp, Notification, OutboxEmail
from .rules import RuleSet

__all__ = [
    "Area",
    "Attachment",
    "Case",
    "CaseParty",
    "ExportJob",
    "FollowUp",
    "Membership",
    "Notification",
    "Organisation",
    "OutboxEmail",
    "PersonalDataAccess",
    "PortalUserManager",
    "PrivacyNotice",
    "ReferenceCounter",
    "RefusedAccess",
    "RetentionRun",
    "RuleSet",
    "TimelineEntry",
    "User",
]
