"""ACT rules about data tables."""

from __future__ import annotations

from .base import FAILED, PASSED, candidates, describe, rule
from .dom import HTML, El, Page
from .roles import included, semantic_role
from .tables import (
    aria_table_model,
    assigned_headers,
    html_table_model,
    simple_table_headers,
)

_TABLE_ROLES = frozenset({"table", "grid", "treegrid"})


def _tables(page: Page) -> list[El]:
    """Semantic tables and grids included in the accessibility tree, in document order."""
    return [
        el
        for el in candidates(page, ("table",))
        if semantic_role(page, el) in _TABLE_ROLES and included(page, el)
    ]


@rule("d0f69e", "Table header cell has assigned cells", ["1.3.1"])
def header_has_cells(page: Page):
    for table in _tables(page):
        native = table.tag == "table" and table.ns == HTML
        if native and table.flags == 0 and "role" not in table.attrs:
            simple = simple_table_headers(page, table)
            if simple is not None:
                # a plain table: its th cells are its (visible, included) header cells
                for node, role, assigned in simple:
                    if assigned:
                        if page.quiet:
                            page.passes += 1  # counted, not listed
                        else:
                            yield (
                                PASSED,
                                node,
                                f"The {role} is assigned to at least one cell of its table.",
                            )
                    else:
                        el = page.wrap(node)
                        yield (
                            FAILED,
                            el,
                            (f"The {role} {describe(el)} is not assigned to any cell of its table."),
                        )
                continue
        model = html_table_model(page, table) if native else aria_table_model(page, table)
        headers = []
        for cell in model.cells:
            el = cell.el
            if el.ns != HTML:
                continue
            role = semantic_role(page, el)
            if role in ("columnheader", "rowheader") and el.visible and included(page, el):
                headers.append((el, role))
        if not headers:
            continue
        assigned = assigned_headers(page, model, table if native else None)
        for el, role in headers:
            if id(el) in assigned:
                yield PASSED, el, f"The {role} is assigned to at least one cell of its table."
            else:
                yield (
                    FAILED,
                    el,
                    (f"The {role} {describe(el)} is not assigned to any cell of its table."),
                )


@rule(
    "a25f45",
    "Headers attribute specified on a cell refers to cells in the same table element",
    ["1.3.1"],
)
def headers_refer_to_cells(page: Page):
    cells = [
        el
        for el in page.pool_els(attrs=("headers",))
        if el.ns == HTML and el.tag in ("td", "th")
    ]
    for el in cells:
        table = el.parent
        while table is not None and not (table.tag == "table" and table.ns == HTML):
            table = table.parent
        if table is None or not table.visible or not included(page, table):
            continue
        if semantic_role(page, table) not in _TABLE_ROLES:
            continue
        model = html_table_model(page, table)
        if id(el) not in model.by_el:
            continue
        bad = []
        for tok in (el.attrs.get("headers") or "").split():
            target = page.by_id.get(tok)
            if target is None or target is el or id(target) not in model.by_el:
                bad.append(tok)
        if bad:
            yield (
                FAILED,
                el,
                (
                    f"headers refers to {', '.join(bad)}, which "
                    f"{'is not another cell' if len(bad) == 1 else 'are not other cells'} of the "
                    "same table."
                ),
            )
        else:
            yield PASSED, el, "Every id in headers refers to another cell of the same table."
