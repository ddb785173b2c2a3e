"""The catalogue's data: one module per model family, re-exported here for Django."""

from .audit import AccessibilityAudit, AuditEngine, AuditKind, LinkCheck
from .capability import Capability, Language
from .consistent_offer import ConsistentOffer, ConsistentOfferItem
from .offer import Offer
from .offer_import import OfferImport
from .organisation import Organisation, OrganisationKind
from .service import DigitalService, Lifecycle, NHSLoginLevel, Scope
from .support import InclusionSupport, SupportKind
from .uptake import (
    UptakeFile,
    UptakeFormat,
    UptakeObservation,
    UptakeSchedule,
    UptakeSource,
)

__all__ = [
    "AccessibilityAudit",
    "AuditEngine",
    "AuditKind",
    "Capability",
    "ConsistentOffer",
    "ConsistentOfferItem",
    "DigitalService",
    "InclusionSupport",
    "Language",
    "Lifecycle",
    "LinkCheck",
    "NHSLoginLevel",
    "Offer",
    "OfferImport",
    "Organisation",
    "OrganisationKind",
    "Scope",
    "SupportKind",
    "UptakeFile",
    "UptakeFormat",
    "UptakeObservation",
    "UptakeSchedule",
    "UptakeSource",
]
