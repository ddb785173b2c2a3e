"""What staff read about a task run: a plain-English name for each task, its counts as
a sentence instead of the raw JSON the task stored, why a failed run failed, and how far a
run got.

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
from .models import Outcome, TaskRun
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


# -- A run as a whole: its result (with the error of a failed run) and its progress -------
ERROR_SHORT_LENGTH = 150


def short_error(error: str, limit: int = ERROR_SHORT_LENGTH) -> str:
    """The first line of an error, cut to `limit` characters ("…" when cut or when more
    lines follow); the full text is the cell's title and is in the inspect view."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    if not lines:
        return ""
    first = lines[0]
    if len(first) > limit:
        return first[:limit - 1].rstrip() + "…"
    return first + (" …" if len(lines) > 1 else "")


def _nothing_checked(task_name: str, counts: Mapping | None) -> bool:
    """Whether a (failed) run's counts say it did nothing: an audit whose start page could
    not be fetched still counts its pages, but no result; other tasks count nothing but
    zeros."""
    if not counts:
        return True
    if task_name == AUDIT_SERVICE_TASK:
        return not any(isinstance(counts.get(key), int) and counts[key]
                       for key in ("failed", "cantTell", "passed"))
    return not any(isinstance(value, int) and not isinstance(value, bool) and value
                   for value in counts.values())


def _counts_say_why(task_name: str, counts: Mapping | None) -> bool:
    """Whether the counts already say why the run failed ("File refused: 3 problems")."""
    return task_name == COLLECT_TASK and "problems" in (counts or {})


def run_result(run: TaskRun) -> dict[str, str]:
    """What a run did, for the Result column: `summary` (its counts in words), and for a
    failed run `error` (the reason, shortened) and `error_full` (for the title attribute).

    A failed run whose counts show nothing checked ("2 pages audited: 0 failed, 0 to check
    by hand, 0 passed" when the start page could not be fetched) shows only its error."""
    failed = run.outcome == Outcome.FAILED
    summary = counts_text(run.task_name, run.counts)
    if failed and _nothing_checked(run.task_name, run.counts):
        summary = ""
    error_full = (run.error or "").strip() if failed else ""
    error = ""
    if error_full and not (summary and _counts_say_why(run.task_name, run.counts)):
        error = short_error(error_full)
    if failed and not summary and not error:
        error = "Failed: no reason was recorded."
    return {"summary": summary, "error": error, "error_full": error_full}


def run_progress(run: TaskRun) -> dict:
    """The Progress column: a bar and "Checking: 40 of 120 (33%)" while a run works;
    "Done" once it succeeded; "Stopped at Checking (40 of 120)" where a failed run stopped.
    A finished run never shows an in-progress label."""
    if run.outcome == Outcome.RUNNING:
        return {"percent": run.progress_percent, "label": run.progress_label}
    if run.outcome == Outcome.SUCCEEDED:
        return {"percent": None, "label": "Done"}
    where = run.progress_step
    if run.progress_total:
        amount = f"{run.progress_done:,} of {run.progress_total:,}"
        where = f"{where} ({amount})" if where else amount
    return {"percent": None, "label": f"Stopped at {where}" if where else ""}
