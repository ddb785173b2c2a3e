"""Query-string parsing for the API: every bad value is a 400 that names the parameter.

Unlike the public pages (which quietly drop a filter that does not validate, so a
citizen always gets a page), an API client is a program: silently ignoring
`per_page=100000` or `modified_after=yesterday` would hand it the wrong data
without telling it. So each parameter is checked here and a bad one raises
`ApiError`, which the views turn into a JSON error body.
"""

import datetime
import re
import uuid
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000
MAX_SEARCH_LENGTH = 200
_WHOLE_NUMBER = re.compile(r"^\d{1,9}$")
# A "+01:00" offset typed into a URL unencoded arrives as " 01:00".
_SPACE_FOR_PLUS = re.compile(r" (\d{2}:?\d{2})$")


class ApiError(Exception):
    """A request the API refuses, with the HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _whole_number(query, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not _WHOLE_NUMBER.match(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}.", name)
    return int(raw)


def paging(query) -> Paging:
    return Paging(
        page=_whole_number(query, "page", 1, 1, MAX_PAGE),
        per_page=_whole_number(query, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    )


def uuid_param(query, name: str) -> uuid.UUID | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return uuid.UUID(raw.strip())
    except (ValueError, AttributeError):
        raise ApiError(400, f"{name} must be a UUID.", name) from None


def path_uuid(raw: str) -> uuid.UUID | None:
    """An id in the path; a malformed one names nothing, so it is a 404 like an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def boolean(query, name: str) -> bool:
    raw = (query.get(name) or "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise ApiError(400, f"{name} must be true or false.", name)


def search(query) -> str:
    raw = (query.get("search") or "").strip()
    if len(raw) > MAX_SEARCH_LENGTH:
        raise ApiError(400, f"search must be at most {MAX_SEARCH_LENGTH} characters.", "search")
    if "\x00" in raw:
        raise ApiError(400, "search must not contain NUL characters.", "search")
    return raw


def modified_after(query) -> datetime.datetime | None:
    """An ISO 8601 date or date-time; one without an offset is taken as UTC."""
    raw = (query.get("modified_after") or "").strip()
    if not raw:
        return None
    raw = _SPACE_FOR_PLUS.sub(r"+\1", raw)
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            if day is not None:
                moment = datetime.datetime.combine(day, datetime.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise ApiError(
            400,
            "modified_after must be an ISO 8601 date or date-time, e.g. 2025-01-31 or "
            "2025-01-31T09:00:00Z.",
            "modified_after",
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def response_format(query) -> None:
    """HSDS lets a client ask for ndjson; this API only speaks JSON, so say so."""
    raw = (query.get("format") or "json").strip().lower()
    if raw != "json":
        raise ApiError(400, "format must be json: this API does not offer other formats.",
                       "format")
