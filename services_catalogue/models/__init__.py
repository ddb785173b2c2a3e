"""The catalogue's data: one module per model family, re-exported here for Django."""

from .capability import Capability, Language
from .offer import Offer
from .organisation import Organisation, OrganisationKind
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
