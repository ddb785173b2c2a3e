"""What staff read about a task run: a plain-English name for each task, and its counts as
a sentence instead of the raw JSON the task stored.

The raw task name stays on the run (`TaskRun.task_name`) for support staff: the admin list
shows it as a tooltip, and the inspect view and the search use it.

The names come from the task modules themselves, so a renamed task is a failing import
here, not a silently raw label. A task that is not listed still gets a readable label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.template.defaultfilters import filesizeformat

from inclusion.results import TASK_NAME as INCLUSION_TASK

from .audits import AUDIT_ALL_TASK, AUDIT_SERVICE_TASK, CHECK_LINKS_TASK
from .maintenance import PRUNE_TASK
from .uptake import COLLECT_TASK, DISPATCH_TASK

PUBLISH_TASK = "tasks.publishing.publish_scheduled_pages"

TASK_LABELS = {
    COLLECT_TASK: "Uptake collection",
    DISPATCH_TASK: "Uptake collection: queue the sources due",
    AUDIT_SERVICE_TASK: "Accessibility audit",
    AUDIT_ALL_TASK: "Accessibility audits: queue every service",
    CHECK_LINKS_TASK: "Link check",
    INCLUSION_TASK: "Work out inclusion figures",
    PRUNE_TASK: "Delete old history",
    PUBLISH_TASK: "Publish scheduled pages",
}

# What an inclusion run computed (inclusion.results.KINDS).
INCLUSION_RESULTS = {
    "dashboard": "Dashboard figures",
    "evidence": "Empower citizens evidence",
    "evidence_pdf": "Empower citizens evidence (PDF)",
}

# How an uptake collection ended (services_catalogue.uptake.collect.CollectResult.outcome).
COLLECT_OUTCOMES = {
    "not_modified": "Not changed since the last collection (HTTP 304)",
    "unchanged": "Same file as last time: nothing changed",
}


def task_label(task_name: str) -> str:
    """"tasks.uptake.collect_source" -> "Uptake collection"; an unknown task by the last part
    of its name ("tasks.x.send_reminders" -> "Send reminders")."""
    if task_name in TASK_LABELS:
        return TASK_LABELS[task_name]
    words = task_name.rsplit(".", 1)[-1].replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else task_name


def number(count, singular: str, plural: str | None = None) -> str:
    """12 -> "12 rows"; 1 -> "1 row"; thousands with commas."""
    word = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {word}" if isinstance(count, int) else f"{count} {word}"


def _parts(counts: Mapping, words: list[tuple[str, str]], *, keep_zero: bool = False) -> list:
    """ "12 added", "3 removed" for the keys present (and non-zero, unless keep_zero)."""
    return [f"{counts[key]:,} {word}" for key, word in words
            if isinstance(counts.get(key), int) and (keep_zero or counts[key])]


def _collection(counts: Mapping) -> str:
    if "problems" in counts:
        return f"File refused: {number(counts['problems'], 'problem')}"
    outcome = counts.get("outcome")
    if outcome in COLLECT_OUTCOMES:
        return COLLECT_OUTCOMES[outcome]
    if "rows" not in counts:
        return ""
    text = f"{number(counts['rows'], 'row')} imported"
    changes = _parts(counts, [("inserted", "added"), ("updated", "updated"),
                              ("deleted", "removed"), ("unchanged", "unchanged"),
                              ("skipped", "skipped")])
    if changes:
        text += f" ({', '.join(changes)})"
    if counts.get("bytes"):
        text += f", {filesizeformat(counts['bytes'])} downloaded"
    return text


def _dispatch(counts: Mapping) -> str:
    due = counts.get("due", 0)
    text = f"{number(due, 'source')} due"
    return ", ".join([text, *_parts(counts, [("enqueued", "queued"), ("failed", "failed")])])


def _audit(counts: Mapping) -> str:
    text = f"{number(counts.get('urls', 0), 'page')} audited"
    results = _parts(counts, [("failed", "failed"), ("cantTell", "to check by hand"),
                              ("passed", "passed")], keep_zero=True)
    if results:
        text += f": {', '.join(results)}"
    if counts.get("statement"):
        text += f"; accessibility statement {counts['statement']}"
    return text


def _audit_all(counts: Mapping) -> str:
    text = number(counts.get("services", 0), "service")
    return ", ".join([text, *_parts(counts, [("enqueued", "queued"), ("failed", "failed")])])


def _links(counts: Mapping) -> str:
    text = (f"{number(counts.get('links', 0), 'link')} checked "
            f"({number(counts.get('urls', 0), 'address', 'addresses')})")
    text += f", {counts.get('broken', 0):,} broken"
    if counts.get("removed"):
        text += f", {counts['removed']:,} no longer linked"
    return text


def _inclusion(counts: Mapping) -> str:
    kind = counts.get("result", "")
    return INCLUSION_RESULTS.get(kind, str(kind).replace("_", " ").capitalize())


def _prune(counts: Mapping) -> str:
    return (f"{number(counts.get('audits', 0), 'old audit')} and "
            f"{number(counts.get('task_runs', 0), 'old task run')} deleted")


DESCRIBE_COUNTS: dict[str, Callable[[Mapping], str]] = {
    COLLECT_TASK: _collection,
    DISPATCH_TASK: _dispatch,
    AUDIT_SERVICE_TASK: _audit,
    AUDIT_ALL_TASK: _audit_all,
    CHECK_LINKS_TASK: _links,
    INCLUSION_TASK: _inclusion,
    PRUNE_TASK: _prune,
}


def _generic(counts: Mapping) -> str:
    """Any other task: "12 task runs", "outcome: done"; lists and nested details are left to
    the inspect view."""
    parts = []
    for key, value in counts.items():
        words = str(key).replace("_", " ")
        if isinstance(value, bool) or isinstance(value, list | dict):
            continue
        parts.append(f"{value:,} {words}" if isinstance(value, int) else f"{words}: {value}")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def counts_text(task_name: str, counts: Mapping | None) -> str:
    """A run's counts as staff read them: "12 rows imported (10 added, 2 unchanged)"."""
    if not counts:
        return ""
    try:
        return DESCRIBE_COUNTS.get(task_name, _generic)(counts)
    except (TypeError, ValueError, KeyError):  # counts from an older version of the task
        return _generic(counts)
