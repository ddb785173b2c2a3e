"""The taxonomies the API classifies services by, and the stable ids it derives.

HSDS wants a UUID on every object. Services, organisations and capabilities carry
their own `public_id`; everything else the API publishes has no row of its own (a
taxonomy, an access-fact term, a service's virtual location, its attributes, a
provider that is not one of our organisations), so its id is a uuid5 derived from
something stable. Consumers can then key on any id across requests, edits and
deployments, and the same object always has the same id.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from services_catalogue.models import Lifecycle, NHSLoginLevel, Scope
from services_catalogue.models.service import DTACStatus

# The namespace of every derived id. Changing it changes every derived id, which
# would break every consumer that stored one: never change it.
NAMESPACE = uuid.UUID("b4d4c74f-8fc4-4845-8f6a-fd98375264a2")


def stable_id(*parts: Any) -> str:
    """A UUID that depends only on `parts`, so it is the same on every request."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


CAPABILITY_TAXONOMY = {
    "id": stable_id("taxonomy", "empower-citizens-capabilities"),
    "name": "Empower citizens capabilities",
    "description": (
        "The needs a citizen can meet online, from the Empower citizens part of NHS "
        "England's What Good Looks Like framework: self triage, referral, test results, "
        "repeat prescriptions and the rest. Each integrated care system may add more."
    ),
    "version": "1",
}

ACCESS_TAXONOMY = {
    "id": stable_id("taxonomy", "digital-access"),
    "name": "Digital access facts",
    "description": (
        "How people use a digital service: whether it needs NHS login and at what level, "
        "whether it is in the NHS App, the devices and channels it works on, its "
        "accessibility statement, the help available and the non-digital alternative. "
        "A service has the attribute only where the fact holds."
    ),
    "version": "1",
}

TAXONOMIES = [CAPABILITY_TAXONOMY, ACCESS_TAXONOMY]


@dataclass(frozen=True)
class AccessFact:
    """One term of the access-fact taxonomy, with the field it is read from.

    Keeping the database filter (`q`) and the in-memory test (`holds`) side by side
    is what makes `?taxonomy_term_id=` select exactly the services that show the
    attribute.
    """

    code: str
    name: str
    description: str
    field: str
    equals: Any = None  # None: the fact holds when the field is non-blank
    carries_value: bool = False  # the attribute's value is the field's text

    @property
    def id(self) -> str:
        return stable_id("term", "digital-access", self.code)

    def q(self) -> Q:
        if self.equals is not None:
            return Q(**{self.field: self.equals})
        return ~Q(**{self.field: ""})

    def holds(self, service) -> bool:
        value = getattr(service, self.field)
        if self.equals is not None:
            return value == self.equals
        return bool(value)

    def value(self, service) -> str | None:
        return getattr(service, self.field) if self.carries_value else None


ACCESS_FACTS = [
    AccessFact("nhs-login-none", "No NHS login needed",
               "You can use it without an NHS login.", "nhs_login", NHSLoginLevel.NONE),
    AccessFact("nhs-login-p5", "NHS login with email and phone number",
               "You sign in with NHS login set up with an email address and mobile phone "
               "number; you do not need to prove who you are (P5).",
               "nhs_login", NHSLoginLevel.LOW),
    AccessFact("nhs-login-p9", "NHS login with proof of identity",
               "You sign in with NHS login and prove who you are with photo ID (P9).",
               "nhs_login", NHSLoginLevel.HIGH),
    AccessFact("in-nhs-app", "In the NHS App", "You can use it from inside the NHS App.",
               "in_nhs_app", True),
    AccessFact("smartphone-needed", "Smartphone needed", "You need a smartphone to use it.",
               "smartphone_needed", True),
    AccessFact("channel-web", "Website", "You can use it on a website.", "channel_web", True),
    AccessFact("channel-ios", "iPhone app", "There is an iPhone app.", "channel_ios", True),
    AccessFact("channel-android", "Android app", "There is an Android app.",
               "channel_android", True),
    AccessFact("channel-phone", "Phone", "You can also use it by phone.", "channel_phone", True),
    AccessFact("accessibility-statement", "Accessibility statement",
               "It publishes an accessibility statement; the value is its address.",
               "accessibility_statement_url", carries_value=True),
    AccessFact("help-available", "Help using it",
               "Where to get help if you get stuck; the value says where.",
               "assisted_help", carries_value=True),
    AccessFact("non-digital-alternative", "Non-digital alternative",
               "How to do the same thing without going online; the value says how.",
               "non_digital_alternative", carries_value=True),
    AccessFact("beta", "Beta", "New, and still being improved.", "lifecycle", Lifecycle.BETA),
    AccessFact("dtac-passed", "Meets DTAC",
               "Meets the NHS Digital Technology Assessment Criteria.",
               "dtac_status", DTACStatus.PASSED),
    AccessFact("scope-national", "Available across England",
               "A national service anyone in England can use.", "scope", Scope.NATIONAL),
    AccessFact("scope-ics", "Available across our area",
               "Available to everyone the integrated care system serves.", "scope", Scope.ICS),
    AccessFact("scope-local", "Available at some GP practices or places",
               "Offered only by some GP practices or places; see the service areas.",
               "scope", Scope.LOCAL),
]

ACCESS_FACTS_BY_ID = {fact.id: fact for fact in ACCESS_FACTS}
