"""Accessible name computation: a static subset of W3C "Accessible Name and Description
Computation 1.2" with the native host language rules of HTML-AAM and SVG-AAM.

Implemented: aria-labelledby (with hidden referenced content), aria-label, native text
alternatives (label elements, alt, title, value and default button labels, legend, caption,
figcaption, SVG <title>, placeholder), embedded controls inside labels, name from content for
the roles that allow it (and in recursion), hidden content exclusion and the tooltip
(``title``) fallback.  Not available statically: CSS generated content (::before/::after).
"""

from __future__ import annotations

from .aria_data import NAME_FROM_CONTENT_ROLES
from .dom import F_ARIA_HIDDEN, F_DISPLAY_NONE, F_VIS_HIDDEN, HTML, SVG, El, Page
from .roles import PRESENTATIONAL, input_type, semantic_role

_ASCII_WS = " \t\n\f\r"
_MAX_DEPTH = 150
_BLOCK = frozenset(
    "address article aside blockquote br dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section "
    "table tbody td tfoot th thead tr ul caption legend summary option".split()
)
_TEXT_INPUTS = frozenset("text search tel url email password number".split())
_TEXTY_INPUTS = _TEXT_INPUTS | frozenset(
    "date datetime-local month time week color file range checkbox radio".split()
)
_RANGE_ROLES = frozenset({"slider", "spinbutton", "progressbar", "meter", "scrollbar"})
DEFAULT_IMAGE_BUTTON_NAME = "Submit Query"
# elements whose name is not simply their content, even without attributes
_NOT_PLAIN = frozenset(
    "img input select textarea button iframe object embed svg math table fieldset figure area "
    "video audio canvas meter progress output label summary details".split()
)
_HIDDEN_FLAGS = F_DISPLAY_NONE | F_VIS_HIDDEN | F_ARIA_HIDDEN


def normalize(text: str) -> str:
    return " ".join(text.split())


def accessible_name(page: Page, el: El) -> str:
    cache = el.cache
    name = cache.get("name")
    if name is None:
        name = _name_from_text(page, el)
        if name is None:
            name = normalize(_Computation(page, el).name(el))
        cache["name"] = name
    return name


# what _Computation does for an element named by its text alone, or not at all
_AUTHOR_NAMING = ("aria-labelledby", "aria-label", "title")
_NATIVELY_NAMED = frozenset(
    "input select textarea meter output progress img area fieldset figure table".split()
)


def _input_name(page: Page, el: El) -> str | None:
    """The accessible name of an HTML input without author naming attributes that is not a
    button (what _Computation works out: its labels' text, else its placeholder), or None
    when the full computation is needed."""
    t = input_type(el)
    if t in ("button", "submit", "reset", "image"):
        return None
    role = semantic_role(page, el)
    if role in PRESENTATIONAL:
        return None
    labels = labels_of(page, el)
    if labels:
        parts = []
        for lab in labels:
            attrs = lab.attrs
            if (
                lab.tag != "label"
                or lab.ns != HTML
                or "role" in attrs
                or "aria-labelledby" in attrs
                or "aria-label" in attrs
                or "title" in attrs
            ):
                return None
            text = page.text_only(lab)
            if text is None:
                return None
            parts.append("" if lab.flags & _HIDDEN_FLAGS else normalize(text))
        text = " ".join(parts)
        if text.strip():
            return normalize(text)
    # no name from content for a childless input; no tooltip (no title)
    if t in _TEXT_INPUTS:
        attrs = el.attrs
        ph = attrs.get("placeholder") or attrs.get("aria-placeholder")
        if ph and ph.strip(_ASCII_WS):
            return normalize(ph)
    return ""


def _name_from_text(page: Page, el: El) -> str | None:
    """The accessible name of an HTML element without author naming attributes, no native
    text alternative and only text for content (the common case: links, headings, buttons,
    cells...), or None when the full computation is needed."""
    attrs = el.attrs
    if el.ns != HTML:
        return None
    for a in _AUTHOR_NAMING:
        if a in attrs:
            return None
    tag = el.tag
    if tag in _NATIVELY_NAMED:
        if tag == "input":
            return _input_name(page, el)
        if tag != "img":
            return None
        # named by its alt attribute (even an empty one), unless presentational
        if semantic_role(page, el) in PRESENTATIONAL:
            return ""
        alt = attrs.get("alt", False)
        return "" if alt is False else normalize(alt or "")
    role = semantic_role(page, el)
    if el.tag == "button" and role not in PRESENTATIONAL and labels_of(page, el):
        return None
    if role not in NAME_FROM_CONTENT_ROLES and el.tag != "summary":
        return ""  # no name from content, no tooltip, no placeholder
    text = el.page.text_only(el)
    if text is None:
        return None
    return normalize(text)


def labels_of(page: Page, el: El) -> list[El]:
    """The label elements associated with a labelable form control."""
    out: list[El] = []
    ident = el.attrs.get("id")
    if ident and page.by_id.get(ident) is el:
        out.extend(page.labels_for.get(ident, ()))
    lab = el.label_anc if page.implicit_labels() else None
    if lab is not None and "for" not in lab.attrs and lab not in out:
        first = _first_labelable(lab)
        if first is el:
            out.append(lab)
    if len(out) > 1:
        out.sort(key=lambda e: e.pos)
    return out


def _first_labelable(label: El) -> El | None:
    cached = label.cache.get("lbl", False)
    if cached is not False:
        return cached
    found = None
    for d in label.iter_elements():
        if d.ns == HTML and d.tag in (
            "button",
            "meter",
            "output",
            "progress",
            "select",
            "textarea",
        ):
            found = d
            break
        if d.ns == HTML and d.tag == "input" and input_type(d) != "hidden":
            found = d
            break
    label.cache["lbl"] = found
    return found


class _Computation:
    __slots__ = ("page", "root", "active")

    def __init__(self, page: Page, root: El) -> None:
        self.page = page
        self.root = root
        self.active: set[int] = set()  # elements whose computation is in progress

    # -------------------------------------------------------------------------- entry
    def name(self, el: El) -> str:
        return self._compute(el, False, False, False, 0)

    def _compute(
        self, el: El, labelledby: bool, recursion: bool, hidden_ok: bool, depth: int
    ) -> str:
        key = id(el)
        if key in self.active:
            return ""  # a cycle (a control inside its own label, self references...)
        self.active.add(key)
        try:
            return self._step(el, labelledby, recursion, hidden_ok, depth)
        finally:
            self.active.discard(key)

    def _step(self, el: El, labelledby: bool, recursion: bool, hidden_ok: bool, depth: int) -> str:
        page = self.page
        attrs = el.attrs
        # 2A: hidden content
        if (
            not hidden_ok
            and (el.disp_none or el.vis_hidden or el.aria_hidden)
            and el is not self.root
        ):
            return ""
        if depth > _MAX_DEPTH:
            return _plain_text(el, hidden_ok)
        # 2B: aria-labelledby
        if not labelledby:
            ref = attrs.get("aria-labelledby")
            if ref:
                refs = [page.by_id[t] for t in ref.split() if t in page.by_id]
                if refs:
                    parts = []
                    for r in refs:
                        r_hidden = r.disp_none or r.vis_hidden or r.aria_hidden
                        parts.append(
                            normalize(
                                self._compute(r, True, False, hidden_ok or r_hidden, depth + 1)
                            )
                        )
                    return " ".join(p for p in parts if p)
        role = semantic_role(page, el)
        in_traversal = recursion or labelledby
        embedded = in_traversal and el is not self.root and self._is_embedded_control(el, role)
        # 2C: aria-label
        if not embedded:
            label = attrs.get("aria-label")
            if label and label.strip(_ASCII_WS):
                return label
        # 2D: native text alternatives
        if role not in PRESENTATIONAL and not embedded:
            native = self._native(el, role, hidden_ok, depth)
            if native is not None and (native.strip() or self._native_is_final(el)):
                return native
        # 2E: embedded control
        if embedded:
            return self._embedded_value(el, role)
        # 2F: name from content
        if (
            in_traversal
            or role in NAME_FROM_CONTENT_ROLES
            or (el.tag == "summary" and el.ns == HTML)
        ):
            content = self._content(el, hidden_ok, depth)
            if content.strip():
                return content
        # 2I: tooltip
        title = attrs.get("title")
        if title and title.strip(_ASCII_WS) and el.ns == HTML:
            return title
        if el.tag == "input" and el.ns == HTML:
            t = input_type(el)
            if t in _TEXT_INPUTS or el.tag == "textarea":
                ph = attrs.get("placeholder") or attrs.get("aria-placeholder")
                if ph and ph.strip(_ASCII_WS):
                    return ph
            if t == "image":
                return DEFAULT_IMAGE_BUTTON_NAME
        if el.tag == "textarea" and el.ns == HTML:
            ph = attrs.get("placeholder") or attrs.get("aria-placeholder")
            if ph and ph.strip(_ASCII_WS):
                return ph
        return ""

    # ------------------------------------------------------------------------ helpers
    def _native_is_final(self, el: El) -> bool:
        """An img with an alt attribute is named by it even when it is empty."""
        return el.tag == "img" and el.ns == HTML and "alt" in el.attrs

    def _native(self, el: El, role, hidden_ok: bool, depth: int) -> str | None:
        tag = el.tag
        attrs = el.attrs
        if el.ns == SVG:
            for c in el.children:
                if type(c) is El and c.tag == "title" and c.ns == SVG:
                    return c.text_content()
            if tag == "a":
                return attrs.get("xlink:title")
            return None
        if el.ns != HTML:
            return None
        if tag in ("input", "select", "textarea", "button", "meter", "output", "progress"):
            labels = labels_of(self.page, el)
            if labels:
                text = " ".join(self._label_text(lab, hidden_ok, depth) for lab in labels)
                if text.strip():
                    return text
            if tag == "input":
                t = input_type(el)
                if t in ("button", "submit", "reset"):
                    v = attrs.get("value")
                    if v is not None and v.strip(_ASCII_WS):
                        return v
                    if t == "submit":
                        return "Submit"
                    if t == "reset":
                        return "Reset"
                    return None
                if t == "image":
                    alt = attrs.get("alt")
                    if alt and alt.strip(_ASCII_WS):
                        return alt
                    return None
            return None
        if tag == "img":
            alt = attrs.get("alt", False)
            if alt is not False:
                return alt or ""
            return None
        if tag == "area":
            return attrs.get("alt")
        if tag == "fieldset":
            return self._child_content(el, "legend", hidden_ok, depth)
        if tag == "figure":
            return self._child_content(el, "figcaption", hidden_ok, depth)
        if tag == "table":
            return self._child_content(el, "caption", hidden_ok, depth)
        return None

    def _label_text(self, lab: El, hidden_ok: bool, depth: int) -> str:
        """normalize(_compute(lab, False, True, hidden_ok, depth + 1)), without the full
        computation for a plain label holding only text."""
        attrs = lab.attrs
        if (
            lab.ns == HTML
            and lab.tag == "label"
            and "role" not in attrs
            and "aria-labelledby" not in attrs
            and "aria-label" not in attrs
            and "title" not in attrs
            and id(lab) not in self.active
            and depth + 1 <= _MAX_DEPTH
        ):
            text = self.page.text_only(lab)
            if text is not None:
                if not hidden_ok and lab.flags & _HIDDEN_FLAGS and lab is not self.root:
                    return ""
                return normalize(text)
        return normalize(self._compute(lab, False, True, hidden_ok, depth + 1))

    def _child_content(self, el: El, tag: str, hidden_ok: bool, depth: int) -> str | None:
        for c in el.children:
            if type(c) is El and c.tag == tag and c.ns == HTML:
                return self._compute(c, False, True, hidden_ok, depth + 1)
        return None

    def _is_embedded_control(self, el: El, role) -> bool:
        if role in ("textbox", "searchbox", "combobox", "listbox") or role in _RANGE_ROLES:
            return True
        return el.ns == HTML and el.tag == "select"

    def _embedded_value(self, el: El, role) -> str:
        attrs = el.attrs
        tag = el.tag
        if role in _RANGE_ROLES:
            for name in ("aria-valuetext", "aria-valuenow"):
                v = attrs.get(name)
                if v and v.strip(_ASCII_WS):
                    return v
            return attrs.get("value") or ""
        if el.ns == HTML and tag == "select":
            options = [d for d in el.iter_elements() if d.tag == "option"]
            chosen = [o for o in options if "selected" in o.attrs]
            if not chosen and options and "multiple" not in attrs:
                chosen = options[:1]
            return " ".join(normalize(o.text_content()) for o in chosen)
        if el.ns == HTML and tag == "input":
            return attrs.get("value") or ""
        if el.ns == HTML and tag == "textarea":
            return el.text_content()
        if role in ("combobox", "listbox"):
            selected = [
                d
                for d in el.iter_elements()
                if (d.attrs.get("aria-selected") or "").lower() == "true"
            ]
            return " ".join(normalize(d.text_content()) for d in selected)
        return el.text_content()

    def _content(self, el: El, hidden_ok: bool, depth: int) -> str:
        parts: list[str] = []
        for c in el.children:
            if type(c) is str:
                parts.append(c)
                continue
            if c.tag == "br":
                parts.append(" ")
                continue
            if not c.attrs and c.ns == HTML and c.tag not in _NOT_PLAIN and depth < _MAX_DEPTH:
                # an attribute-less element: no ARIA naming, no native text alternative, not
                # an embedded control, so it only contributes its content
                if not hidden_ok and c.flags & _HIDDEN_FLAGS:
                    continue
                text = self._content(c, hidden_ok, depth + 1)
            else:
                text = self._compute(c, False, True, hidden_ok, depth + 1)
            if c.tag in _BLOCK:
                parts.append(" ")
                parts.append(text)
                parts.append(" ")
            else:
                parts.append(text)
        return "".join(parts)


def _plain_text(el: El, hidden_ok: bool) -> str:
    """Text of a (very deep) subtree without the finer rules, iteratively."""
    parts = []
    stack: list = [el]
    while stack:
        node = stack.pop()
        if type(node) is str:
            parts.append(node)
        elif hidden_ok or not (node.disp_none or node.vis_hidden or node.aria_hidden):
            stack.extend(reversed(node.children))
    return " ".join(parts)
