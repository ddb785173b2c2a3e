"""Table models: the HTML table processing model (slots, spans) for ``<table>`` elements, a
row/cell model for ARIA tables and grids, and the HTML algorithm that assigns header cells
to the cells they describe.
"""

from __future__ import annotations

from .dom import HTML, El, Page
from .roles import ax_children, explicit_role, semantic_role

_MAX_SPAN = 1000
_CELL_ROLES = frozenset({"cell", "gridcell", "columnheader", "rowheader"})
_HEADER_ROLES = frozenset({"columnheader", "rowheader"})


class Cell:
    __slots__ = ("el", "x", "y", "w", "h", "is_header", "col_header", "row_header", "empty")

    def __init__(self, el: El, x: int, y: int, w: int, h: int) -> None:
        self.el = el
        self.x = x
        self.y = y
        self.w = w
        self.h = h
        self.is_header = False
        self.col_header = False
        self.row_header = False
        self.empty = False


class TableModel:
    def __init__(self) -> None:
        self.cells: list[Cell] = []
        self.grid: dict[tuple[int, int], Cell] = {}
        self.by_el: dict[int, Cell] = {}
        self._assigned: set[int] | None = None

    def add(self, cell: Cell) -> None:
        self.cells.append(cell)
        self.by_el[id(cell.el)] = cell
        for dy in range(cell.h):
            for dx in range(cell.w):
                self.grid.setdefault((cell.x + dx, cell.y + dy), cell)


def _span(el: El, name: str, default: int = 1) -> int:
    v = el.attrs.get(name)
    if not v:
        return default
    try:
        n = int(v.strip().split(".")[0] or default)
    except ValueError:
        return default
    return max(1, min(n, _MAX_SPAN))


def _is_empty(el: El) -> bool:
    return not any(type(c) is El or c.strip() for c in el.children)


def html_table_model(page: Page, table: El) -> TableModel:
    """The HTML table processing model of a ``<table>`` element (cached)."""
    model = table.cache.get("tm")
    if model is not None:
        return model
    model = TableModel()
    rows: list[El] = []
    tfoot_rows: list[El] = []
    for child in table.children:
        if type(child) is not El or child.ns != HTML:
            continue
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody"):
            rows.extend(c for c in child.children if type(c) is El and c.tag == "tr")
        elif child.tag == "tfoot":
            tfoot_rows.extend(c for c in child.children if type(c) is El and c.tag == "tr")
    rows.extend(tfoot_rows)
    occupied: set[tuple[int, int]] = set()
    for y, tr in enumerate(rows):
        x = 0
        for c in tr.children:
            if type(c) is not El or c.tag not in ("td", "th") or c.ns != HTML:
                continue
            while (x, y) in occupied:
                x += 1
            w = _span(c, "colspan")
            h = _span(c, "rowspan")
            h = min(h, max(1, len(rows) - y))
            cell = Cell(c, x, y, w, h)
            xr = explicit_role(c)
            if xr in _HEADER_ROLES:
                cell.is_header = True
            elif xr in ("cell", "gridcell"):
                cell.is_header = False
            else:
                cell.is_header = c.tag == "th"
            cell.empty = _is_empty(c)
            for dy in range(h):
                for dx in range(w):
                    occupied.add((x + dx, y + dy))
            model.add(cell)
            x += w
    _classify_headers(model)
    table.cache["tm"] = model
    return model


def simple_table_headers(page: Page, table: El) -> list[tuple[object, str, bool]] | None:
    """For a plain ``<table>`` (no spans, headers attributes or cell roles; no cell hidden or
    styled): its header cells in the order of :func:`html_table_model`'s cells, each as
    (lexbor node, "columnheader" or "rowheader", assigned to a cell), read from lexbor's
    nodes without materialising the rows and cells.  None when the table is not plain.

    Tables with the same shape (per row: which cells are th, their scope, which are empty)
    have the same answer, which is worked out once per page."""
    rows: list = []
    tfoot_rows: list = []
    for child in table.node.iter(include_text=False):
        tag = child.tag
        if tag == "tr":
            rows.append(child)
        elif tag == "thead" or tag == "tbody":
            rows.extend(c for c in child.iter(include_text=False) if c.tag == "tr")
        elif tag == "tfoot":
            tfoot_rows.extend(c for c in child.iter(include_text=False) if c.tag == "tr")
    rows.extend(tfoot_rows)
    flagged = page.flagged_set()
    if flagged is None:
        return None
    mem = page.mem
    is_source = page._is_source
    shape = []
    headers = []  # header cell nodes, in order
    for tr in rows:
        row = []
        for c in tr.iter(include_text=False):
            tag = c.tag
            if tag != "td" and tag != "th":
                continue
            attrs = c.attributes
            mid = c.mem_id
            if (
                attrs
                and (
                    "role" in attrs
                    or "headers" in attrs
                    or attrs.get("colspan")
                    or attrs.get("rowspan")
                    or is_source(tag, attrs)
                )
            ) or mid in flagged or mid in mem:
                return None  # not plain (or materialised: the general case handles it)
            if tag == "th":
                headers.append(c)
                row.append(((attrs.get("scope") or "").strip().lower(), _node_is_empty(c)))
            else:
                row.append((None, _node_is_empty(c)))
        shape.append(tuple(row))
    shapes = page._index.setdefault("table_shapes", {})
    key = tuple(shape)
    answer = shapes.get(key)
    if answer is None:
        answer = shapes[key] = _simple_table_answer(page, key)
    return [(node, role, ok) for node, (role, ok) in zip(headers, answer, strict=True)]


def _simple_table_answer(page: Page, shape: tuple) -> list[tuple[str, bool]]:
    """(role, assigned) of each header cell of a plain table of this shape (see
    simple_table_headers), with the algorithms of the general case."""
    model = TableModel()
    scopes: dict[int, str] = {}
    n = 0
    for y, row in enumerate(shape):
        for x, (scope, empty) in enumerate(row):
            n += 1
            cell = Cell(n, x, y, 1, 1)  # a stand-in for the cell's element
            cell.empty = empty
            if scope is not None:
                cell.is_header = True
                scopes[n] = scope
            model.cells.append(cell)
            model.by_el[n] = cell
            model.grid[(x, y)] = cell
    _classify_headers(model, scopes)
    # every cell is a cell or a header cell (its role is in _CELL_ROLES), none has headers
    assigned: set[int] = set()
    wanted = sum(1 for c in model.cells if c.is_header and not c.empty)
    for cell in model.cells:
        if len(assigned) >= wanted:
            break
        for h in header_cells(page, model, cell, None):
            assigned.add(h.el)
    return [
        ("rowheader" if c.row_header else "columnheader", c.el in assigned)
        for c in model.cells
        if c.is_header
    ]


def _node_is_empty(node) -> bool:
    """_is_empty for a lexbor node."""
    c = node.child
    while c is not None:
        tag = c.tag
        if tag == "-text":
            if (c.text_content or "").strip():
                return False
        elif tag and tag[0] not in "-_!#":
            return False
        c = c.next
    return True


def _classify_headers(model: TableModel, scopes: dict[int, str] | None = None) -> None:
    """Column / row header status of header cells (HTML "column header" and "row header",
    with empty data cells not counting, and the first row / column as a tie-breaker).
    ``scopes``: for _simple_table_answer, each header cell's scope (no cell has a role)."""
    data_rows: set[int] = set()
    data_cols: set[int] = set()
    for cell in model.cells:
        if not cell.is_header and not cell.empty:
            data_rows.update(range(cell.y, cell.y + cell.h))
            data_cols.update(range(cell.x, cell.x + cell.w))
    for cell in model.cells:
        if not cell.is_header:
            continue
        if scopes is None:
            xr = explicit_role(cell.el)
            scope = (cell.el.attrs.get("scope") or "").strip().lower()
        else:
            xr = None
            scope = scopes[cell.el]
        if xr == "columnheader" or (xr is None and scope in ("col", "colgroup")):
            cell.col_header = True
        elif xr == "rowheader" or (xr is None and scope in ("row", "rowgroup")):
            cell.row_header = True
        elif not any(y in data_rows for y in range(cell.y, cell.y + cell.h)):
            cell.col_header = True
        elif not any(x in data_cols for x in range(cell.x, cell.x + cell.w)):
            cell.row_header = True
        elif cell.y == 0:
            cell.col_header = True
        elif cell.x == 0:
            cell.row_header = True
        else:
            cell.col_header = True


def th_role(page: Page, table: El, th: El) -> str:
    model = html_table_model(page, table)
    cell = model.by_el.get(id(th))
    if cell is None:
        return "columnheader"
    if cell.row_header:
        return "rowheader"
    if cell.col_header:
        return "columnheader"
    return "cell"


def aria_table_model(page: Page, table: El) -> TableModel:
    """Rows and cells of an ARIA table/grid, from the accessibility tree (cached)."""
    model = table.cache.get("tm")
    if model is not None:
        return model
    model = TableModel()
    rows: list[El] = []
    todo, _ = ax_children(page, table)
    todo = list(reversed(todo))
    while todo:
        el = todo.pop()
        role = semantic_role(page, el)
        if role == "row":
            rows.append(el)
        elif role == "rowgroup":
            kids, _ = ax_children(page, el)
            todo.extend(reversed(kids))
    occupied: set[tuple[int, int]] = set()
    for y, row in enumerate(rows):
        x = 0
        kids, _ = ax_children(page, row)
        for c in kids:
            role = semantic_role(page, c)
            if role not in _CELL_ROLES:
                continue
            while (x, y) in occupied:
                x += 1
            w = _span(c, "aria-colspan", _span(c, "colspan"))
            h = _span(c, "aria-rowspan", _span(c, "rowspan"))
            cell = Cell(c, x, y, w, h)
            cell.is_header = role in _HEADER_ROLES
            cell.col_header = role == "columnheader"
            cell.row_header = role == "rowheader"
            cell.empty = _is_empty(c)
            for dy in range(h):
                for dx in range(w):
                    occupied.add((x + dx, y + dy))
            model.add(cell)
            x += w
    table.cache["tm"] = model
    return model


def _scan(model, principal, x, y, dx, dy, headers):
    grid = model.grid
    opaque: list[Cell] = []
    in_block = principal.is_header
    cur_block: list[Cell] = [principal] if principal.is_header else []
    while True:
        x += dx
        y += dy
        if x < 0 or y < 0:
            return
        cell = grid.get((x, y))
        if cell is None or cell is principal:
            continue
        if cell.is_header:
            in_block = True
            cur_block.append(cell)
            if dx == 0:
                blocked = (not cell.col_header) or any(
                    o.x == cell.x and o.w == cell.w for o in opaque
                )
            else:
                blocked = (not cell.row_header) or any(
                    o.y == cell.y and o.h == cell.h for o in opaque
                )
            if not blocked and cell not in headers:
                headers.append(cell)
        elif in_block:
            in_block = False
            opaque.extend(cur_block)
            cur_block = []


def header_cells(page: Page, model: TableModel, cell: Cell, table: El | None) -> list[Cell]:
    """The header cells assigned to ``cell`` (HTML "forming relationships between data cells
    and header cells")."""
    headers: list[Cell] = []
    ids = cell.el.attrs.get("headers") if table is not None else None
    if ids is not None:
        for tok in ids.split():
            target = page.by_id.get(tok)
            if target is None:
                continue
            hc = model.by_el.get(id(target))
            if hc is not None and hc is not cell and hc not in headers:
                headers.append(hc)
    else:
        for yy in range(cell.y, cell.y + cell.h):
            _scan(model, cell, cell.x, yy, -1, 0, headers)
        for xx in range(cell.x, cell.x + cell.w):
            _scan(model, cell, xx, cell.y, 0, -1, headers)
    return [h for h in headers if not h.empty and h is not cell]


def assigned_headers(page: Page, model: TableModel, table: El | None) -> set[int]:
    """id() of every header cell element assigned to at least one cell of the table."""
    if model._assigned is None:
        out: set[int] = set()
        wanted = sum(1 for c in model.cells if c.is_header and not c.empty)
        for cell in model.cells:
            if len(out) >= wanted:
                break  # every header cell is already assigned
            role = semantic_role(page, cell.el)
            if role not in _CELL_ROLES:
                continue
            for h in header_cells(page, model, cell, table):
                out.add(id(h.el))
        model._assigned = out
    return model._assigned
