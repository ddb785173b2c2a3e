"""The parsed page: one pass over lexbor's tree into light Python objects carrying what every
rule needs (namespace, attributes, rendering and hiding state inherited down the tree).

Everything that depends on more than the element and its ancestors (roles, names, focus) is
computed lazily by the modules that need it and cached on the element.
"""

from __future__ import annotations

import re
from itertools import accumulate

from selectolax.lexbor import LexborHTMLParser

from . import css

HTML, SVG, MATHML = "html", "svg", "math"

# Deepest element nesting we let the parser see.  Lexbor (like the HTML parsing algorithm it
# implements) spends time proportional to the depth of the open-element stack on each start
# tag, so pathological nesting is quadratic; browsers cap it too (Chromium at 512).
MAX_DEPTH = 512

VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen basefont "
    "bgsound frame".split()
)
# elements whose end tag may be omitted: never counted when estimating nesting depth
_OPTIONAL_END = frozenset(
    "p li dt dd option optgroup tr td th tbody thead tfoot colgroup caption rb rt rp rtc "
    "html head body".split()
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")

# HTML elements never rendered (user agent style sheet: display: none)
_NOT_RENDERED = frozenset(
    "head script style template title meta link base datalist param source track noscript "
    "noembed noframes rp".split()
)
# SVG elements whose content is never rendered directly
_SVG_NOT_RENDERED = frozenset(
    "title desc defs symbol metadata clippath mask lineargradient radialgradient pattern "
    "filter style script marker".split()
)
LABELABLE = frozenset("button input meter output progress select textarea".split())
_ASCII_WS = " \t\n\f\r"


# Inherited rendering / hiding state, as bits of El.flags
F_DISPLAY_NONE = 1  # display: none on the element or an ancestor (not rendered)
F_VIS_HIDDEN = 2  # computed visibility: hidden / collapse
F_ARIA_HIDDEN = 4  # aria-hidden="true" on the element or an ancestor
F_OFFSCREEN = 8  # positioned or clipped out of view
F_TRANSPARENT = 16  # opacity: 0
F_INERT = 32  # inert attribute on the element or an ancestor
F_FS_DISABLED = 64  # inside a disabled fieldset (not in its first legend)


class El:
    """An element of the page."""

    __slots__ = (
        "tag",
        "ns",
        "attrs",
        "parent",
        "children",
        "pos",
        "nth",
        "depth",
        "flags",
        "style",
        "label_anc",
        "n_el",
        "cache",
    )

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<El {self.tag} {self.attrs}>"

    @property
    def disp_none(self) -> bool:
        return bool(self.flags & F_DISPLAY_NONE)

    @property
    def vis_hidden(self) -> bool:
        return bool(self.flags & F_VIS_HIDDEN)

    @property
    def aria_hidden(self) -> bool:
        return bool(self.flags & F_ARIA_HIDDEN)

    @property
    def offscreen(self) -> bool:
        return bool(self.flags & F_OFFSCREEN)

    @property
    def transparent(self) -> bool:
        return bool(self.flags & F_TRANSPARENT)

    @property
    def inert(self) -> bool:
        return bool(self.flags & F_INERT)

    @property
    def fs_disabled(self) -> bool:
        return bool(self.flags & F_FS_DISABLED)

    def get(self, name: str) -> str | None:
        """Attribute value ('' for a valueless attribute), or None when absent."""
        v = self.attrs.get(name, False)
        if v is False:
            return None
        return "" if v is None else v

    def has(self, name: str) -> bool:
        return name in self.attrs

    @property
    def hidden(self) -> bool:
        """Not rendered at all (display: none on it or an ancestor, or visibility hidden)."""
        return bool(self.flags & (F_DISPLAY_NONE | F_VIS_HIDDEN))

    @property
    def programmatically_hidden(self) -> bool:
        return bool(self.flags & (F_DISPLAY_NONE | F_VIS_HIDDEN | F_ARIA_HIDDEN))

    @property
    def visible(self) -> bool:
        """Rendered on screen as far as the parse can tell."""
        return not self.flags & (F_DISPLAY_NONE | F_VIS_HIDDEN | F_OFFSCREEN | F_TRANSPARENT)

    def iter_elements(self):
        """Descendant elements in tree order (iterative, depth-safe)."""
        stack = [c for c in reversed(self.children) if type(c) is El]
        while stack:
            el = stack.pop()
            yield el
            kids = el.children
            if kids:
                stack.extend(c for c in reversed(kids) if type(c) is El)

    def element_children(self):
        return [c for c in self.children if type(c) is El]

    def text_content(self) -> str:
        parts = []
        stack = [self]
        while stack:
            node = stack.pop()
            if type(node) is str:
                parts.append(node)
            else:
                stack.extend(reversed(node.children))
        return "".join(parts)


def _depth_bound(html: str, chunk: int = 8192) -> int:
    """A cheap upper bound of the element nesting depth: the largest prefix excess of start
    tags over end tags, measured per chunk with C-level counting (voids count as starts)."""
    run = best = 0
    count = html.count
    for i in range(0, len(html), chunk):
        lt = count("<", i, i + chunk)
        close = count("</", i, i + chunk)
        starts = lt - close
        if run + starts > best:
            best = run + starts
        run += starts - close
    return best


def limit_nesting(html: str, max_depth: int = MAX_DEPTH) -> str:
    """Drop start/end tags nested deeper than ``max_depth`` (estimated from the markup).

    Cheap for ordinary pages: a chunked count bounds the depth, and only when that bound is
    high is the markup tokenized to estimate the real depth (end tags that are optional or
    belong to void elements are not counted) and, if needed, rewritten.
    """
    if _depth_bound(html) <= 4 * max_depth:
        return html
    tags = _TAG.findall(html)
    steps = [
        0 if (name.lower() in VOID or name.lower() in _OPTIONAL_END) else (-1 if close else 1)
        for close, name in tags
    ]
    if not steps or max(accumulate(steps)) <= max_depth:
        return html
    out = []
    depth = 0
    dropped: list[int] = []  # depths at which start tags were dropped
    last = 0
    for m in _TAG.finditer(html):
        close, name = m.groups()
        lname = name.lower()
        if lname in VOID or lname in _OPTIONAL_END:
            continue
        end = html.find(">", m.end())
        end = len(html) if end < 0 else end + 1
        if close:
            if dropped and dropped[-1] == depth:
                dropped.pop()
                out.append(html[last : m.start()])
                last = end
            elif depth > 0:
                depth -= 1
            continue
        if depth >= max_depth:
            dropped.append(depth)
            out.append(html[last : m.start()])
            last = end
        else:
            depth += 1
    out.append(html[last:])
    return "".join(out)


def _clean(html) -> str:
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    elif not isinstance(html, str):
        html = str(html)
    if "\x00" in html:
        html = html.replace("\x00", "\ufffd")
    return html


_XML_ROOT = re.compile(
    r"^\ufeff?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<(svg|math)[\s>/]",
    re.I | re.S,
)


def _apply_style(style: dict[str, str], flags: int) -> int:
    """The rendering flags of an element given its cascaded style and inherited flags."""
    if style.get("display") == "none":
        flags |= F_DISPLAY_NONE
    v = style.get("visibility")
    if v is not None:
        if v in ("hidden", "collapse"):
            flags |= F_VIS_HIDDEN
        elif v == "visible":
            flags &= ~F_VIS_HIDDEN
    op = style.get("opacity")
    if op is not None:
        try:
            if float(op.rstrip("%")) == 0:
                flags |= F_TRANSPARENT
        except ValueError:
            pass
    if not flags & F_OFFSCREEN and css.is_offscreen(style):
        flags |= F_OFFSCREEN
    return flags


class Page:
    """A parsed page."""

    def __init__(self, html: str, url: str = "", _depth: int = 0) -> None:
        html = _clean(html)
        self.url = url
        self.source = html
        self.nested_depth = _depth
        # a document whose root element is <svg> or <math> is not an HTML page
        self.is_html_document = _XML_ROOT.match(html[:2000]) is None
        self.parser = LexborHTMLParser(limit_nesting(html))
        self.sheet = css.StyleSheet()
        self.scripts: list[str] = []
        self.els: list[El] = []
        self.by_id: dict[str, El] = {}
        self.id_count: dict[str, int] = {}
        self.labels_for: dict[str, list[El]] = {}
        self.by_tag: dict[str, list[El]] = {}  # HTML elements by tag (creation order)
        self.role_els: list[El] = []  # elements with a role attribute
        self.aria_els: list[El] = []  # elements with at least one aria-* attribute
        self.lang_els: list[El] = []  # elements with a lang attribute
        self.root: El | None = None
        self._collect_styles()
        self._build()

    def release(self) -> None:
        """Break the element tree's reference cycles (child -> parent, label ancestors, cached
        relations) so that the page is freed by reference counting, without waiting for the
        cyclic garbage collector; the page is unusable afterwards."""
        for el in self.els:
            el.parent = None
            el.label_anc = None
            el.cache = {}
        self.els = []

    # ---------------------------------------------------------------------------- building
    def _collect_styles(self) -> None:
        for node in self.parser.css("style"):
            text = node.text(deep=True) or ""
            if text:
                self.sheet.add_css(text)
        for node in self.parser.css("script"):
            text = node.text(deep=True) or ""
            if text:
                self.scripts.append(text)

    def _build(self) -> None:
        root_node = self.parser.root
        if root_node is None:
            return
        sheet = self.sheet
        use_sheet = bool(sheet)
        sheet_tags = frozenset(sheet.by_tag) if use_sheet else frozenset()
        sheet_ids = frozenset(sheet.by_id) if use_sheet else frozenset()
        sheet_classes = frozenset(sheet.by_class) if use_sheet else frozenset()
        sheet_all = use_sheet and bool(sheet.universal)
        match = sheet.match
        els = self.els
        by_id = self.by_id
        id_count = self.id_count
        by_tag = self.by_tag
        role_els = self.role_els
        aria_els = self.aria_els
        lang_els = self.lang_els
        labels_for = self.labels_for
        parse_decls = css.parse_declarations
        not_rendered = _NOT_RENDERED
        svg_not_rendered = _SVG_NOT_RENDERED
        new = El.__new__

        # lexbor's own pre-order traversal (document order); parents are found by identity
        by_mem: dict[int, El] = {}
        for node in root_node.traverse(include_text=True):
            raw_tag = node.tag
            if raw_tag == "-text":
                text = node.text_content
                if text:
                    parent = by_mem.get(node.parent.mem_id)
                    if parent is not None:
                        parent.children.append(text)
                continue
            if not raw_tag or raw_tag[0] in "-_!#":
                continue  # comments, doctype
            if els:
                parent = by_mem.get(node.parent.mem_id)
                if parent is None:
                    continue
            else:
                parent = None
            by_mem[node.mem_id] = el = new(El)
            attrs = node.attributes
            el.children = []
            el.cache = {}
            el.style = None
            el.n_el = 0
            el.attrs = attrs
            el.pos = len(els)
            els.append(el)
            if parent is None:
                tag = raw_tag.lower()
                ns = HTML
                flags = 0
                el.depth = 0
                el.nth = 1
                el.label_anc = None
                self.root = el
            else:
                pns = parent.ns
                ptag = parent.tag
                if pns == HTML:
                    tag = raw_tag
                    ns = SVG if tag == "svg" else (MATHML if tag == "math" else HTML)
                else:
                    tag = raw_tag.lower()
                    if pns == SVG:
                        ns = HTML if ptag == "foreignobject" else SVG
                    else:
                        ns = HTML if ptag == "annotation-xml" else MATHML
                parent.n_el += 1
                el.nth = parent.n_el
                el.depth = parent.depth + 1
                el.label_anc = parent.label_anc
                flags = parent.flags
                if pns == HTML:
                    if ptag == "details" and "open" not in parent.attrs:
                        # closed details: only its first summary child is rendered
                        if tag != "summary" or any(
                            type(c) is El and c.tag == "summary" for c in parent.children
                        ):
                            flags |= F_DISPLAY_NONE
                    elif ptag == "fieldset" and "disabled" in parent.attrs:
                        if tag != "legend" or any(
                            type(c) is El and c.tag == "legend" for c in parent.children
                        ):
                            flags |= F_FS_DISABLED
                parent.children.append(el)
            el.tag = tag
            el.ns = ns
            el.parent = parent

            if ns == HTML:
                lst = by_tag.get(tag)
                if lst is None:
                    by_tag[tag] = [el]
                else:
                    lst.append(el)
                if tag in not_rendered:
                    flags |= F_DISPLAY_NONE
                elif tag == "input":
                    if (attrs.get("type") or "").strip(_ASCII_WS).lower() == "hidden":
                        flags |= F_DISPLAY_NONE
                elif tag == "dialog":
                    if "open" not in attrs:
                        flags |= F_DISPLAY_NONE
                elif tag == "label":
                    f = attrs.get("for")
                    if f is not None:
                        labels_for.setdefault(f, []).append(el)
                    el.label_anc = el
            elif ns == SVG and tag in svg_not_rendered:
                flags |= F_DISPLAY_NONE

            if not attrs:
                if use_sheet and (sheet_all or tag in sheet_tags):
                    style = match(tag, None, ())
                    if style:
                        el.style = style
                        flags = _apply_style(style, flags)
            else:
                # --- style
                style = None
                if use_sheet:
                    cls = attrs.get("class")
                    classes = cls.split() if cls else ()
                    ident = attrs.get("id")
                    if (
                        sheet_all
                        or tag in sheet_tags
                        or ident in sheet_ids
                        or not sheet_classes.isdisjoint(classes)
                    ):
                        style = match(tag, ident, classes)
                inline = attrs.get("style")
                if inline:
                    decls = parse_decls(inline)
                    if decls:
                        style = {**style, **decls} if style else decls
                if "hidden" in attrs and ns == HTML and not (style and "display" in style):
                    flags |= F_DISPLAY_NONE
                if style:
                    el.style = style
                    flags = _apply_style(style, flags)
                ah = attrs.get("aria-hidden")
                if ah and ah.strip(_ASCII_WS).lower() == "true":
                    flags |= F_ARIA_HIDDEN
                if "inert" in attrs:
                    flags |= F_INERT
                # --- indexes
                ident = attrs.get("id")
                if ident:
                    if ident in id_count:
                        id_count[ident] += 1
                    else:
                        id_count[ident] = 1
                        by_id[ident] = el
                if "role" in attrs:
                    role_els.append(el)
                if "lang" in attrs:
                    lang_els.append(el)
                for k in attrs:
                    if k[:5] == "aria-":
                        aria_els.append(el)
                        break
            el.flags = flags
