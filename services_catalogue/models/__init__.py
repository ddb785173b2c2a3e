"""The catalogue's data: one module per model family, re-exported here for Django."""

from .capability import Capability, Language
from .organisation import Organisation, OrganisationKind
from .offer import Offer
from .service import DigitalService, Lifecycle, NHSLoginLevel, Scope
from .support import InclusionSupport, SupportKind

__all__ = [
    "Capability",
    "DigitalService",
    "InclusionSupport",
    "Language",
    "Lifecycle",
    "NHSLoginLevel",
    "Offer",
    "Organisation",
    "OrganisationKind",
    "Scope",
    "SupportKind",
]
