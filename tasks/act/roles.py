"""Roles, focus and the accessibility tree, computed lazily and cached on each element.

Implicit roles follow the HTML Accessibility API Mappings (HTML-AAM) and the SVG-AAM for the
few SVG elements that matter here; explicit roles and the presentational roles conflict
resolution follow WAI-ARIA 1.2 as the ACT rules define them ("semantic role").
"""

from __future__ import annotations

import re

from .aria_data import CONCRETE_ROLES, GLOBAL_ATTRIBUTES
from .dom import HTML, MATHML, SVG, El, Page

PRESENTATIONAL = frozenset({"none", "presentation"})
_ASCII_WS = " \t\n\f\r"
_INT = re.compile(r"^[ \t\n\f\r]*([+-]?\d+)")

_INPUT_ROLES = {
    "button": "button",
    "image": "button",
    "reset": "button",
    "submit": "button",
    "checkbox": "checkbox",
    "radio": "radio",
    "range": "slider",
    "number": "spinbutton",
    "email": "textbox",
    "tel": "textbox",
    "text": "textbox",
    "url": "textbox",
    "search": "searchbox",
    # no corresponding role
    "color": None,
    "date": None,
    "datetime-local": None,
    "month": None,
    "time": None,
    "week": None,
    "file": None,
    "password": None,
    "hidden": None,
}
_TAG_ROLES = {
    "article": "article",
    "aside": "complementary",
    "blockquote": "blockquote",
    "button": "button",
    "caption": "caption",
    "code": "code",
    "datalist": "listbox",
    "dd": "definition",
    "del": "deletion",
    "details": "group",
    "dfn": "term",
    "dialog": "dialog",
    "dt": "term",
    "em": "emphasis",
    "fieldset": "group",
    "figure": "figure",
    "form": "form",
    "h1": "heading",
    "h2": "heading",
    "h3": "heading",
    "h4": "heading",
    "h5": "heading",
    "h6": "heading",
    "hgroup": "group",
    "address": "group",
    "hr": "separator",
    "ins": "insertion",
    "li": "listitem",
    "main": "main",
    "math": "math",
    "menu": "list",
    "meter": "meter",
    "nav": "navigation",
    "ol": "list",
    "optgroup": "group",
    "output": "status",
    "p": "paragraph",
    "progress": "progressbar",
    "s": "deletion",
    "search": "search",
    "strong": "strong",
    "sub": "subscript",
    "sup": "superscript",
    "table": "table",
    "tbody": "rowgroup",
    "textarea": "textbox",
    "tfoot": "rowgroup",
    "thead": "rowgroup",
    "time": "time",
    "tr": "row",
    "ul": "list",
}
_GENERIC_TAGS = frozenset("b bdi bdo data div i pre q samp small span u".split())
# known HTML elements that have no corresponding role
_NO_ROLE_TAGS = frozenset(
    "abbr audio base body br canvas caption cite col colgroup embed figcaption head html "
    "iframe kbd label legend link map mark meta noscript object param picture rp rt ruby "
    "script slot source style summary template title track var video wbr".split()
) - {"caption"}
_SECTIONING = frozenset("article aside main nav section".split())
_SECTIONING_ROLES = frozenset("article complementary main navigation region".split())
# elements without a role that are still exposed as nodes of the accessibility tree
_EXPOSED_ROLELESS = frozenset(
    "input iframe object embed audio video summary textarea select canvas".split()
)
_TABLE_PARTS = frozenset("tr td th thead tbody tfoot caption".split())


def tabindex(el: El) -> int | None:
    """The tabindex value (HTML rules for parsing integers), None when absent or invalid."""
    v = el.attrs.get("tabindex")
    if v is None:
        return None
    m = _INT.match(v)
    if not m:
        return None
    try:
        return int(m.group(1))
    except ValueError:  # pragma: no cover - digits always parse
        return None


def explicit_role(el: El) -> str | None:
    cache = el.cache
    if "xr" in cache:
        return cache["xr"]
    role = None
    v = el.attrs.get("role")
    if v:
        for tok in v.lower().split():
            if tok in CONCRETE_ROLES:
                role = tok
                break
    cache["xr"] = role
    return role


def input_type(el: El) -> str:
    t = (el.attrs.get("type") or "").strip(_ASCII_WS).lower()
    return t if t in _INPUT_ROLES else "text"


def is_summary_for_details(el: El) -> bool:
    """Whether ``el`` is the summary of its parent details element."""
    p = el.parent
    if el.tag != "summary" or el.ns != HTML or p is None or p.tag != "details" or p.ns != HTML:
        return False
    for c in p.children:
        if type(c) is El and c.tag == "summary":
            return c is el
    return False


def is_disabled_control(el: El) -> bool:
    """An actually disabled form control (HTML)."""
    if el.ns != HTML:
        return False
    tag = el.tag
    if tag in ("button", "input", "select", "textarea"):
        return "disabled" in el.attrs or el.fs_disabled
    if tag in ("optgroup", "fieldset"):
        return "disabled" in el.attrs
    if tag == "option":
        if "disabled" in el.attrs:
            return True
        p = el.parent
        return p is not None and p.tag == "optgroup" and "disabled" in p.attrs
    return False


def is_disabled(el: El) -> bool:
    """ACT "disabled element": actually disabled, or aria-disabled=true on it or an ancestor."""
    if is_disabled_control(el):
        return True
    if not el.page.may_have_attr("aria-disabled"):
        return False
    node = el
    while node is not None:
        v = node.attrs.get("aria-disabled")
        if v is not None and v.strip(_ASCII_WS).lower() == "true":
            return True
        node = node.parent
    return False


def default_focusable(el: El) -> bool:
    tag = el.tag
    attrs = el.attrs
    if el.ns == HTML:
        if tag in ("a", "area"):
            return "href" in attrs
        if tag in ("button", "select", "textarea", "iframe"):
            return True
        if tag == "input":
            return input_type(el) != "hidden"
        if tag == "summary":
            return is_summary_for_details(el)
        if tag in ("audio", "video"):
            return "controls" in attrs
        ce = attrs.get("contenteditable")
        if ce is not None and ce.strip().lower() in ("", "true", "plaintext-only"):
            return True
        return False
    if el.ns == SVG and tag == "a":
        return "href" in attrs or "xlink:href" in attrs
    return False


def focusable(el: El) -> bool:
    cache = el.cache
    f = cache.get("foc")
    if f is None:
        if el.disp_none or el.vis_hidden or el.inert or is_disabled_control(el):
            f = False
        elif tabindex(el) is not None:
            f = True
        else:
            f = default_focusable(el)
        cache["foc"] = f
    return f


def in_sequential_focus(el: El) -> bool:
    """Part of sequential focus navigation (reachable with the Tab key)."""
    cache = el.cache
    s = cache.get("seq")
    if s is None:
        if not focusable(el):
            s = False
        else:
            ti = tabindex(el)
            s = ti >= 0 if ti is not None else default_focusable(el)
        cache["seq"] = s
    return s


def has_global_aria(el: El) -> bool:
    """Has a global ARIA state or property other than aria-hidden (conflict resolution)."""
    for name in el.attrs:
        if name in GLOBAL_ATTRIBUTES and name != "aria-hidden":
            return True
    return False


def _has_author_name(el: El) -> bool:
    a = el.attrs
    for name in ("aria-label", "aria-labelledby", "title"):
        v = a.get(name)
        if v and v.strip(_ASCII_WS):
            return True
    return False


def _closest(el: El, tags) -> El | None:
    p = el.parent
    while p is not None:
        if p.ns == HTML and p.tag in tags:
            return p
        p = p.parent
    return None


def implicit_role(page: Page, el: El) -> str | None:
    cache = el.cache
    if "ir" in cache:
        return cache["ir"]
    role = _implicit_role(page, el)
    cache["ir"] = role
    return role


def _implicit_role(page: Page, el: El) -> str | None:
    tag = el.tag
    attrs = el.attrs
    if el.ns == SVG:
        if tag == "svg":
            return "graphics-document"
        if tag == "a" and ("href" in attrs or "xlink:href" in attrs):
            return "link"
        if tag in ("g", "text"):
            return "group"
        return None
    if el.ns == MATHML:
        return "math" if tag == "math" else None
    if tag in _TABLE_PARTS:
        table = _closest(el, ("table",))
        if table is not None and semantic_role(page, table) in PRESENTATIONAL:
            return "presentation"
        if tag == "td":
            if table is None:
                return None
            trole = semantic_role(page, table)
            return "gridcell" if trole in ("grid", "treegrid") else "cell"
        if tag == "th":
            if table is None:
                return None
            from .tables import th_role  # local import: tables depends on roles

            return th_role(page, table, el)
        return _TAG_ROLES.get(tag)
    role = _TAG_ROLES.get(tag, False)
    if role is not False:
        if tag == "li":
            # a list item only where its parent is a list (HTML-AAM); the items of a
            # presentational list are presentational too
            p = el.parent
            prole = semantic_role(page, p) if p is not None else None
            if prole in PRESENTATIONAL and p.tag in ("ul", "ol", "menu"):
                return "presentation"
            return "listitem" if prole in ("list", "directory") else "generic"
        elif tag in ("dt", "dd"):
            p = el.parent
            if p is not None and p.tag == "dl" and semantic_role(page, p) in PRESENTATIONAL:
                return "presentation"
        return role
    if tag == "a":
        return "link" if "href" in attrs else "generic"
    if tag == "area":
        return "link" if "href" in attrs else None
    if tag == "img":
        alt = attrs.get("alt", False)
        if alt == "" or (alt is None):
            return "presentation"
        return "img"
    if tag == "input":
        t = input_type(el)
        role = _INPUT_ROLES[t]
        if "list" in attrs and t in ("text", "search", "email", "tel", "url"):
            return "combobox"
        return role
    if tag == "select":
        size = attrs.get("size")
        try:
            big = size is not None and int(size.strip()) > 1
        except ValueError:
            big = False
        return "listbox" if ("multiple" in attrs or big) else "combobox"
    if tag == "option":
        p = el.parent
        if p is not None and p.tag == "optgroup":
            p = p.parent
        if p is not None and p.tag in ("select", "datalist"):
            if semantic_role(page, p) in PRESENTATIONAL:
                return "presentation"
            return "option"
        return None
    if tag in ("header", "footer"):
        p = el.parent
        while p is not None:
            if p.ns == HTML and (p.tag in _SECTIONING or explicit_role(p) in _SECTIONING_ROLES):
                return "generic"
            p = p.parent
        return "banner" if tag == "header" else "contentinfo"
    if tag == "section":
        return "region" if _has_author_name(el) else "generic"
    if tag in _GENERIC_TAGS:
        return "generic"
    if tag in _NO_ROLE_TAGS:
        return None
    return "generic"  # custom and unknown elements behave like span


_MISSING = object()
# HTML elements whose implicit role depends on nothing but the tag (and is not presentation)
_CONTEXT_FREE_ROLES: dict[str, str | None] = {
    **{
        tag: role
        for tag, role in _TAG_ROLES.items()
        if tag not in _TABLE_PARTS and tag not in ("li", "dt", "dd")
    },
    **dict.fromkeys(_GENERIC_TAGS, "generic"),
    **dict.fromkeys(_NO_ROLE_TAGS, None),
}
assert not {"a", "area", "img", "input", "select", "option", "header", "footer", "section"} & set(
    _CONTEXT_FREE_ROLES
)


def is_marked_decorative(page: Page, el: El) -> bool:
    xr = explicit_role(el)
    if xr in PRESENTATIONAL:
        return True
    if (
        xr is None
        and el.tag == "img"
        and el.ns == HTML
        and el.attrs.get("alt", False) in ("", None)
    ):
        return True
    return False


def semantic_role(page: Page, el: El) -> str | None:
    cache = el.cache
    role = cache.get("sr", _MISSING)
    if role is not _MISSING:
        return role
    if el.ns == HTML and "role" not in el.attrs:
        # no role attribute: the implicit role, unless it is presentational
        tag = el.tag
        role = _CONTEXT_FREE_ROLES.get(tag, _MISSING)
        if role is not _MISSING:
            cache["sr"] = role
            return role
        if tag == "a":
            role = cache["sr"] = "link" if "href" in el.attrs else "generic"
            return role
    xr = explicit_role(el)
    if xr in PRESENTATIONAL or (xr is None and implicit_role(page, el) == "presentation"):
        if focusable(el) or has_global_aria(el):
            # presentational roles conflict resolution: the implicit role wins
            role = implicit_role(page, el)
            if role == "presentation":
                role = "img" if el.tag == "img" else None
        else:
            role = xr or "presentation"
    elif xr is not None:
        role = xr
    else:
        role = implicit_role(page, el)
    cache["sr"] = role
    return role


def included(page: Page, el: El) -> bool:
    """Included in the accessibility tree."""
    cache = el.cache
    inc = cache.get("inc")
    if inc is None:
        if el.disp_none or el.vis_hidden or el.aria_hidden:
            inc = False
        else:
            inc = semantic_role(page, el) not in PRESENTATIONAL
        cache["inc"] = inc
    return inc


def ax_ignored(page: Page, el: El) -> bool:
    """Not a node of its own in the accessibility tree: its children are promoted to its
    parent (presentational elements and plain generic containers)."""
    cache = el.cache
    ig = cache.get("axi")
    if ig is None:
        role = semantic_role(page, el)
        if role in PRESENTATIONAL:
            ig = True
        elif role == "generic" or role is None:
            if role is None and el.tag in _EXPOSED_ROLELESS:
                ig = False
            else:
                ig = not (has_global_aria(el) or focusable(el))
        else:
            ig = False
        cache["axi"] = ig
    return ig


# ------------------------------------------------------------------------ aria-owns
def aria_owner_map(page: Page) -> dict[int, El]:
    """id(owned element) -> the first element (tree order) whose aria-owns claims it."""
    m = page.__dict__.get("_owner_map")
    if m is None:
        m = {}
        owned: dict[int, list[El]] = {}
        by_id = page.by_id
        for el in page.aria_els:
            v = el.attrs.get("aria-owns")
            if not v:
                continue
            for tok in v.split():
                target = by_id.get(tok)
                if target is None or target is el or id(target) in m:
                    continue
                # an element cannot own one of its ancestors
                p = el.parent
                while p is not None and p is not target:
                    p = p.parent
                if p is target:
                    continue
                m[id(target)] = el
                owned.setdefault(id(el), []).append(target)
        page.__dict__["_owner_map"] = m
        page.__dict__["_owned"] = owned
    return m


def aria_owned(page: Page, el: El) -> list[El]:
    """The elements ``el`` claims with aria-owns (and is the first to claim)."""
    aria_owner_map(page)
    return page.__dict__["_owned"].get(id(el), [])


def ax_parent(page: Page, el: El) -> El | None:
    """The parent of ``el`` in the accessibility tree."""
    owners = aria_owner_map(page)
    owner = owners.get(id(el))
    if owner is not None:
        return owner
    p = el.parent
    while p is not None:
        if not (p.disp_none or p.aria_hidden) and not ax_ignored(page, p):
            return p
        owner = owners.get(id(p))
        if owner is not None and ax_ignored(page, p):
            return owner
        p = p.parent
    return None


def ax_children(page: Page, el: El) -> tuple[list[El], bool]:
    """The elements ``el`` owns in the accessibility tree, and whether it owns visible text."""
    owners = aria_owner_map(page)
    out: list[El] = []
    has_text = False
    stack = list(reversed(el.children))
    while stack:
        c = stack.pop()
        if type(c) is str:
            if not has_text and c.strip():
                has_text = True
            continue
        owner = owners.get(id(c))
        if owner is not None and owner is not el:
            continue
        if c.disp_none or c.aria_hidden:
            continue
        if c.vis_hidden or ax_ignored(page, c):
            stack.extend(reversed(c.children))
            continue
        out.append(c)
    for target in aria_owned(page, el):
        if target.disp_none or target.aria_hidden:
            continue
        if ax_ignored(page, target):
            sub, t = ax_children(page, target)
            out.extend(sub)
            has_text = has_text or t
        else:
            out.append(target)
    return out, has_text
