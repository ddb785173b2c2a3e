"""Validate API responses against the HSDS 3.0 schemas, offline.

The per-entity schemas refer to each other by relative file name (`"$ref":
"attribute.json"`) and the OpenAPI file refers to them by their GitHub URLs, so each
local file is registered under the URL it is published at; nothing is fetched.
`jsonschema` only checks `uri` and `date-time` formats when optional packages are
installed, so those two checks are supplied here from the standard library.
"""

import datetime
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE / "schemas"
REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_COMPILED = REPO_ROOT.parent / "shared" / "data" / "openreferral-hsds-3.0" / "schema" / "compiled"
BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

FORMATS = FormatChecker()
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


@FORMATS.checks("uri")
def is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(_SCHEME.match(parts.scheme or "")) and not any(c.isspace() for c in value) and (
        bool(parts.netloc) or parts.scheme in ("mailto", "tel", "urn")
    )


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    return True


def _resource(path: Path) -> Resource:
    return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012)


@cache
def registry() -> Registry:
    resources = [(BASE + p.name, _resource(p)) for p in SCHEMAS.glob("*.json")]
    resources += [(BASE + "compiled/" + p.name, _resource(p))
                  for p in (SCHEMAS / "compiled").glob("*.json")]
    return Registry().with_resources(resources)


@cache
def page_schema() -> dict:
    openapi = json.loads((SCHEMAS / "openapi.json").read_text())
    return openapi["components"]["schemas"]["Page"]


@cache
def root_schema() -> dict:
    openapi = json.loads((SCHEMAS / "openapi.json").read_text())
    get = openapi["paths"]["/"]["get"]
    return get["responses"]["200"]["content"]["application/json"]["schema"]


def _paged(item_ref: str) -> dict:
    """The OpenAPI list response, with every paging field required (the spec lists them all)."""
    page = page_schema()
    return {
        "allOf": [page],
        "required": [*page["properties"], "contents"],
        "properties": {"contents": {"type": "array", "items": {"$ref": BASE + item_ref}}},
    }


KINDS = {
    "root": lambda: root_schema(),
    "service": lambda: {"$ref": BASE + "service.json"},
    "service_list": lambda: _paged("compiled/service_list.json"),
    "service_list_full": lambda: _paged("service.json"),
    "service_package": lambda: {"type": "array", "items": {"$ref": BASE + "service.json"}},
    "organization": lambda: {
        "allOf": [{"$ref": BASE + "organization.json"}],
        "properties": {"services": {"type": "array", "items": {"$ref": BASE + "service.json"}}},
    },
    "organization_list": lambda: _paged("compiled/organization_list.json"),
    "organization_list_full": lambda: _paged("organization.json"),
    "taxonomy": lambda: {"$ref": BASE + "taxonomy.json"},
    "taxonomy_list": lambda: _paged("taxonomy.json"),
    "taxonomy_term": lambda: {"$ref": BASE + "taxonomy_term.json"},
    "taxonomy_term_list": lambda: _paged("taxonomy_term.json"),
}


@cache
def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(KINDS[kind](), registry=registry(), format_checker=FORMATS)


def errors(instance, kind: str) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(kind).iter_errors(instance)]


def assert_valid(instance, kind: str) -> None:
    found = errors(instance, kind)
    assert not found, f"{kind} does not validate against HSDS 3.0:\n" + "\n".join(found[:20])


@cache
def compiled_validator(name: str) -> Draft202012Validator | None:
    """The published fully nested schema, when the shared reference data is beside the repo."""
    path = SHARED_COMPILED / name
    if not path.exists():
        return None
    return Draft202012Validator(json.loads(path.read_text()), format_checker=FORMATS)
