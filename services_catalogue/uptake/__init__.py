"""Uptake figures in: parse (pandas) -> validate (vectorised) -> store (one transaction).

`import_uptake_bytes` is the whole pipeline for one file's bytes; `collect.collect_source`
fetches a source's file (conditional request, size limit) and runs it. Both are plain
functions: the management command and the Celery tasks are thin wrappers around them.
"""

from .errors import MAX_PROBLEMS, Problem, UptakeImportError
from .pipeline import ImportResult, import_uptake_bytes, max_bytes

__all__ = [
    "MAX_PROBLEMS",
    "ImportResult",
    "Problem",
    "UptakeImportError",
    "import_uptake_bytes",
    "max_bytes",
]
