"""The parsed page: lexbor's tree, seen through light Python objects (:class:`El`) that carry
what every rule needs (namespace, attributes, rendering and hiding state inherited down the
tree).

Elements are materialised lazily: a rule asks lexbor's C-level CSS engine for its candidates
(:meth:`Page.select`, :meth:`Page.tag_els`, ...) and only those elements, their ancestors and
whatever content a rule reads (``El.children``) become Python objects, each exactly once per
page (keyed by lexbor's node identity).  An element's state is computed from its parent's when
it is materialised, with the same rules as a full top-down pass over the tree, so what a rule
sees does not depend on what was materialised before.

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
HIDDEN_FLAGS = F_DISPLAY_NONE | F_VIS_HIDDEN | F_ARIA_HIDDEN  # not in the accessibility tree


class El:
    """An element of the page.

    ``tag``, ``ns``, ``attrs``, ``flags`` and ``style`` are set when the element is
    materialised; ``parent``, ``children``, ``nth`` (position among the parent's element
    children, from 1), ``pos`` (document order), ``depth`` and ``label_anc`` (the nearest
    label element, itself included) on first use."""

    __slots__ = (
        "tag",
        "ns",
        "attrs",
        "flags",
        "style",
        "cache",
        "node",
        "page",
        "_parent",
        "_children",
        "_nth",
        "_pos",
    )

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<El {self.tag} {self.attrs}>"

    @property
    def parent(self) -> El | None:
        p = self._parent
        if p is _UNSET:
            node = self.node.parent
            p = self._parent = None if node is None else self.page.wrap(node)
            if p is not None:
                self.page._linked.append(self)
        return p

    @property
    def depth(self) -> int:
        n = 0
        el = self.parent
        while el is not None:
            n += 1
            el = el.parent
        return n

    @property
    def label_anc(self) -> El | None:
        el = self
        while el is not None:
            if el.tag == "label" and el.ns == HTML:
                return el
            el = el.parent
        return None

    @property
    def children(self) -> list:
        """Child elements and (non-empty) text nodes, in tree order."""
        kids = self._children
        if kids is None:
            kids = self.page._children_of(self)
        return kids

    @property
    def nth(self) -> int:
        n = self._nth
        if n is None:
            parent = self.parent
            n = self._nth = 1 if parent is None else child_nth(parent, self.node)
        return n

    @property
    def pos(self) -> int:
        """Position in document order (elements only)."""
        p = self._pos
        if p is None:
            p = self._pos = self.page._order()[self.node.mem_id]
        return p

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


def _skipped(tag: str) -> bool:
    """Nodes that are not elements of the page model (text, comments, doctype)."""
    return not tag or tag[0] in "-_!#"


class Page:
    """A parsed page."""

    def __init__(self, html: str, url: str = "", _depth: int = 0, lazy: bool = False) -> None:
        """Parse ``html``.  The element tree is built at once (one pass over lexbor's tree)
        unless ``lazy`` (what check_html and the audits use), when elements are
        materialised as the rules ask for them; either way every element has the same
        state."""
        html = _clean(html)
        self.url = url
        self.source = html
        self.nested_depth = _depth
        # a document whose root element is <svg> or <math> is not an HTML page
        self.is_html_document = _XML_ROOT.match(html[:2000]) is None
        self.parser = LexborHTMLParser(limit_nesting(html))
        self.sheet = css.StyleSheet()
        self.scripts: list[str] = []
        self._mem: dict[int, El] = {}  # lexbor node identity -> El
        self._linked: list[El] = []  # elements with a parent set (see release)
        self._queries: dict[str, list[El]] = {}
        self._index: dict[str, object] = {}
        self.lazy = lazy
        self._by: dict | None = None  # see _pool_index
        # Set by a caller that only counts further passes of the rule being run: a rule may
        # then count a pass in `passes` instead of yielding it.
        self.quiet = False
        self.passes = 0
        self._collect_styles()
        sheet = self.sheet
        self._use_sheet = bool(sheet)
        self._sheet_tags = frozenset(sheet.by_tag)
        self._sheet_ids = frozenset(sheet.by_id)
        self._sheet_classes = frozenset(sheet.by_class)
        self._sheet_all = self._use_sheet and bool(sheet.universal)
        root_node = self.parser.root
        self.root: El | None = None
        if root_node is not None and not _skipped(root_node.tag or ""):
            if lazy:
                self.root = self._make(root_node, root_node.tag, None, root_node.mem_id)
            else:
                self._build(root_node)

    def release(self) -> None:
        """Break the element tree's reference cycles (child -> parent, label ancestors, cached
        relations, the page) so that the page is freed by reference counting, without
        waiting for the cyclic garbage collector; the page is unusable afterwards."""
        # only elements linked to a parent (or their children) can be in a cycle; the others
        # are freed as soon as the page drops them
        for el in self._linked:
            el._parent = None
            el._children = None
            el.cache = None
        self._linked = []
        self._mem = {}
        for key in ("_owner_map", "_owned"):  # see roles.aria_owner_map
            self.__dict__.pop(key, None)
        self._queries = {}
        self._index = {}
        self._by = None
        self.root = None

    # ---------------------------------------------------------------------------- building
    def _collect_styles(self) -> None:
        styles = []
        for node in self.parser.css(":is(style,script)"):
            text = node.text(deep=True) or ""
            if text:
                (styles if node.tag == "style" else self.scripts).append(text)
        for text in styles:
            self.sheet.add_css(text)

    def _build(self, root_node) -> None:
        """Materialise every element in one pass (lexbor's pre-order traversal)."""
        mem = self._mem
        make = self._make
        pos = 0
        for node in root_node.traverse(include_text=True):
            tag = node.tag
            if tag == "-text":
                text = node.text_content
                if text:
                    parent = mem.get(node.parent.mem_id)
                    if parent is not None:
                        parent._children.append(text)
                continue
            if _skipped(tag or ""):
                continue
            if pos:
                parent = mem.get(node.parent.mem_id)
                if parent is None:
                    continue
                el = make(node, tag, parent, node.mem_id)
                parent._children.append(el)
            else:
                el = self.root = make(node, tag, None, node.mem_id)
            el._children = []
            el._pos = pos
            pos += 1

    def wrap(self, node) -> El | None:
        """The element for a lexbor element node (materialising what it depends on)."""
        mem = self._mem
        mid = node.mem_id
        el = mem.get(mid)
        if el is not None:
            return el
        flagged = self._flagged_set()
        if flagged is not None and mid not in flagged:
            tag = node.tag
            if _skipped(tag or ""):
                return None
            attrs = node.attributes
            if not self._is_source(tag, attrs):
                return self._make_plain(node, tag, mid, attrs)
        # its state depends on its ancestors': materialise the chain down from the nearest
        # materialised (or plain) ancestor
        chain = [(node, mid)]
        p = node.parent
        while True:
            if p is None:
                return None  # not in the page's element tree
            pid = p.mem_id
            el = mem.get(pid)
            if el is not None:
                break
            if flagged is not None and pid not in flagged:
                tag = p.tag
                if _skipped(tag or ""):
                    return None
                el = self._make_plain(p, tag, pid)
                break
            chain.append((p, pid))
            p = p.parent
        make = self._make
        for n, nid in reversed(chain):
            tag = n.tag
            if _skipped(tag or ""):
                return None
            el = make(n, tag, el, nid)
        return el

    def _make_plain(self, node, tag: str, mid: int, attrs=None) -> El:
        """Materialise an element outside every flagged subtree: an HTML element (foreign
        content is flagged) with nothing hiding it or its ancestors, no style, and a tag as
        lexbor gives it; its parent is materialised if asked for."""
        el = self._new_el(node, mid, node.attributes if attrs is None else attrs, _UNSET)
        el.tag = tag
        el.ns = HTML
        el.flags = 0
        return el

    def _new_el(self, node, mid: int, attrs, parent) -> El:
        """A new element, registered under its lexbor identity, with nothing worked out yet
        (its tag, namespace and flags are the caller's)."""
        el = _new(El)
        self._mem[mid] = el
        el.attrs = attrs
        el.node = node
        el.page = self
        el.cache = {}
        el.style = None
        el._children = None
        el._nth = None
        el._pos = None
        el._parent = parent
        return el

    def _flagged_set(self) -> set[int] | None:
        """In lazy mode, lexbor identities of every element in a *flagged subtree*: the
        subtree of an element that could make its own or its descendants' state differ from
        a plain HTML element's (one not rendered by default, hidden, inert, styled, a child
        of details or fieldset, foreign content, ...).  None when every element's state is
        worked out from its parent's (eager mode, or style sheet rules for everything)."""
        if "flagged" not in self._index:  # (set first thing by the scan)
            self._scan()
        return self._index["flagged"]

    def _scan(self) -> None:
        """One lexbor query for every element a rule looks up (by tag or attribute) and
        every element that starts a flagged subtree, in document order: indexes them
        (``_pool``) and, in lazy mode, builds the flagged set as it goes (a flagged
        subtree's root comes before its descendants)."""
        index = self._index
        lazy = self.lazy and not self._sheet_all
        # Every selector costs lexbor a test per element: the tags rarely seen are asked for
        # only when a start tag in the markup spells them.
        rare = set(_RARE_START_TAG.findall(self._low()))
        parts = [t for t in _POOL_TAGS if t not in _RARE_TAGS or t.encode() in rare]
        parts += _POOL_ATTR_SELECTORS
        names = self.aria_attr_names()
        aria_all = names is None  # aria-* names a selector cannot spell: look at everything
        if names:
            parts += (f"[{n}]" for n in sorted(names))
        sheet = self.sheet
        if lazy:
            parts += (t for t in _PARENT_SOURCE_TAGS if t not in _RARE_TAGS or t.encode() in rare)
            parts += _SOURCE_ATTR_SELECTORS
            parts += sheet.by_tag  # lexbor matches type selectors ignoring ASCII case
            parts += (f'[id="{ident}"]' for ident in sheet.by_id)
            # a class token is a substring of the attribute (a superset is enough)
            parts += (f'[class*="{cls}"]' for cls in sheet.by_class)
            lazy = len(parts) <= _MAX_POOL_SELECTORS
        flagged: set[int] | None = set() if lazy else None
        index["flagged"] = flagged
        pool: list[El] = []
        index["pool"] = pool
        aria: list[El] = []
        by: dict = {"aria": aria}  # the pool by HTML tag, by attribute ("@name"), aria-*
        nodes = self.parser.css(":is(" + ",".join(dict.fromkeys(parts)) + ")")
        if aria_all:
            nodes = self.parser.css("*")
        mem = self._mem
        make_plain = self._make_plain
        wrap = self.wrap
        is_source = self._is_source
        for node in nodes:  # element nodes
            mid = node.mem_id
            el = mem.get(mid)
            if el is None:
                tag = node.tag
                if flagged is not None and mid not in flagged:
                    attrs = node.attributes
                    if is_source(tag, attrs):
                        # the root of a flagged subtree
                        for d in node.traverse(include_text=False):
                            flagged.add(d.mem_id)
                        el = wrap(node)
                    else:
                        el = make_plain(node, tag, mid, attrs)
                        if tag == "details" or tag == "fieldset":
                            # its children's state depends on it
                            for c in node.iter(include_text=False):
                                for d in c.traverse(include_text=False):
                                    flagged.add(d.mem_id)
                else:
                    el = wrap(node)
                if el is None:
                    continue
            el.cache["#"] = len(pool)
            pool.append(el)
            if el.ns == HTML:
                lst = by.get(el.tag)
                if lst is None:
                    by[el.tag] = [el]
                else:
                    lst.append(el)
            attrs = el.attrs
            if attrs:
                if not _POOL_ATTR_SET.isdisjoint(attrs):
                    for k in attrs:
                        if k in _POOL_ATTR_SET:
                            by.setdefault("@" + k, []).append(el)
                if names is None:
                    if any(k[:5] == "aria-" for k in attrs):
                        aria.append(el)
                elif not names.isdisjoint(attrs):
                    aria.append(el)
        self._by = by

    def _is_source(self, tag: str, attrs: dict) -> bool:
        """Whether an element's own tag or attributes can make its state (or its
        descendants') differ from its parent's: the root of a flagged subtree."""
        if tag in _SOURCE_TAG_SET or tag in self._sheet_tags:
            return True
        if not attrs:
            return False
        if not _SOURCE_ATTRS.isdisjoint(attrs) or (tag == "input" and "type" in attrs):
            return True
        if self._sheet_ids and attrs.get("id") in self._sheet_ids:
            return True
        classes = self._sheet_classes
        if classes and "class" in attrs:
            return not classes.isdisjoint((attrs["class"] or "").split())
        return False

    def _pool_index(self) -> dict:
        """The pool by HTML tag and by attribute name ("@name"); "aria": the elements with
        an aria-* attribute.  Each list is in document order (a sublist of the pool)."""
        by = self._by
        if by is None:
            self._scan()
            by = self._by
        return by

    def pool_els(self, tags=(), attrs=()) -> list[El]:
        """Elements with one of ``tags`` (HTML elements only) or one of the ``attrs`` (any
        namespace), in document order, without duplicates."""
        by = self._pool_index()
        lists = [by[t] for t in tags if t in by]
        lists += [by["@" + a] for a in attrs if "@" + a in by]
        if not lists:
            return []
        if len(lists) == 1:
            return lists[0]
        merged = {id(el): el for lst in lists for el in lst}
        return sorted(merged.values(), key=_pool_key)

    def _children_of(self, el: El) -> list:
        kids: list = []
        el._children = kids
        mem = self._mem
        make = self._make
        k = 0
        for c in el.node.iter(include_text=True):
            tag = c.tag
            if tag == "-text":
                text = c.text_content
                if text:
                    kids.append(text)
                continue
            if _skipped(tag or ""):
                continue
            k += 1
            mid = c.mem_id
            child = mem.get(mid)
            if child is None:
                child = make(c, tag, el, mid)
            elif child._parent is _UNSET:
                child._parent = el
                self._linked.append(child)
            child._nth = k
            kids.append(child)
        return kids

    def _make(self, node, raw_tag: str, parent: El | None, mid: int) -> El:
        """Materialise one element whose parent is already materialised (the same state as a
        top-down pass over the tree computes)."""
        attrs = node.attributes
        el = self._new_el(node, mid, attrs, parent)
        self._linked.append(el)
        if parent is None:
            tag = raw_tag.lower()
            ns = HTML
            flags = 0
            el._nth = 1
        else:
            pns = parent.ns
            if pns == HTML:
                tag = raw_tag
                ns = SVG if tag == "svg" else (MATHML if tag == "math" else HTML)
            else:
                tag = raw_tag.lower()
                if pns == SVG:
                    ns = HTML if parent.tag == "foreignobject" else SVG
                else:
                    ns = HTML if parent.tag == "annotation-xml" else MATHML
            flags = parent.flags
            if pns == HTML:
                ptag = parent.tag
                if ptag == "details" and "open" not in parent.attrs:
                    # closed details: only its first summary child is rendered
                    if tag != "summary" or _earlier_sibling(node, "summary"):
                        flags |= F_DISPLAY_NONE
                elif ptag == "fieldset" and "disabled" in parent.attrs:
                    if tag != "legend" or _earlier_sibling(node, "legend"):
                        flags |= F_FS_DISABLED
        el.tag = tag
        el.ns = ns

        if ns == HTML:
            if tag in _NOT_RENDERED:
                flags |= F_DISPLAY_NONE
            elif tag == "input":
                if (attrs.get("type") or "").strip(_ASCII_WS).lower() == "hidden":
                    flags |= F_DISPLAY_NONE
            elif tag == "dialog":
                if "open" not in attrs:
                    flags |= F_DISPLAY_NONE
        elif ns == SVG and tag in _SVG_NOT_RENDERED:
            flags |= F_DISPLAY_NONE

        if not attrs:
            if self._use_sheet and (self._sheet_all or tag in self._sheet_tags):
                style = self.sheet.match(tag, None, ())
                if style:
                    el.style = style
                    flags = _apply_style(style, flags)
        else:
            style = None
            if self._use_sheet:
                cls = attrs.get("class")
                classes = cls.split() if cls else ()
                ident = attrs.get("id")
                if (
                    self._sheet_all
                    or tag in self._sheet_tags
                    or ident in self._sheet_ids
                    or not self._sheet_classes.isdisjoint(classes)
                ):
                    style = self.sheet.match(tag, ident, classes)
            inline = attrs.get("style")
            if inline:
                decls = css.parse_declarations(inline)
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
        el.flags = flags
        return el

    def flagged_set(self) -> set[int] | None:
        """See _flagged_set."""
        return self._flagged_set()

    def plain_links(self) -> set[int]:
        """Lexbor identities of the plain links: <a href> elements outside every flagged
        subtree, that are not themselves the root of one, without role, title or aria-*
        attributes (found by lexbor, in C).  Empty when that cannot be told (eager mode,
        style sheet rules for every element or for links, unspellable aria-* names)."""
        flagged = self._flagged_set()
        names = self.aria_attr_names()
        if flagged is None or names is None or "a" in self._sheet_tags:
            return set()
        excluded = ["[role]", "[title]", *_SOURCE_ATTR_SELECTORS]
        excluded += (f"[{n}]" for n in sorted(names))
        excluded += (f'[id="{ident}"]' for ident in self._sheet_ids)
        excluded += (f'[class*="{cls}"]' for cls in self._sheet_classes)
        return {
            mid
            for mid in (node.mem_id for node in self.parser.css(
                "a[href]:not(" + ",".join(excluded) + ")"))
            if mid not in flagged
        }

    @property
    def mem(self) -> dict[int, El]:
        """The materialised elements by lexbor node identity."""
        return self._mem

    def text_only(self, el: El) -> str | None:
        """The text of an element whose children are all text (or comments), else None;
        read from lexbor when the children are not materialised."""
        kids = el._children
        if kids is not None:
            for c in kids:
                if type(c) is not str:
                    return None
            return "".join(kids)
        return self.node_text_only(el.node)

    def node_text_only(self, node) -> str | None:
        """text_only for a lexbor node."""
        c = node.child
        if c is None:
            return ""
        if c.next is None and c.tag == "-text":
            return c.text_content or ""
        parts = []
        while c is not None:
            tag = c.tag
            if tag == "-text":
                text = c.text_content
                if text:
                    parts.append(text)
            elif not _skipped(tag or ""):
                return None
            c = c.next
        return "".join(parts)

    # ---------------------------------------------------------------------------- queries
    def select(self, selector: str) -> list[El]:
        """The elements matching a CSS selector (lexbor), in document order, without
        duplicates (cached per page)."""
        found = self._queries.get(selector)
        if found is None:
            found = self._wrap_all(self.parser.css(selector))
            self._queries[selector] = found
        return found

    def _wrap_all(self, nodes) -> list[El]:
        """wrap() for a list of element nodes."""
        mem = self._mem
        flagged = self._flagged_set()
        make_plain = self._make_plain
        wrap = self.wrap
        found = []
        for node in nodes:
            mid = node.mem_id
            el = mem.get(mid)
            if el is None:
                if flagged is not None and mid not in flagged:
                    tag = node.tag
                    el = None if _skipped(tag or "") else make_plain(node, tag, mid)
                else:
                    el = wrap(node)
                if el is None:
                    continue
            found.append(el)
        return found

    def has_tag(self, tag: str) -> bool:
        """False when no element of the page can have this (lowercase ASCII) tag: no start
        tag in the markup spells it, and the parser does not make it up."""
        tags = self._index.get("tags")
        if tags is None:
            tags = set(_START_TAG.findall(self._low()))
            tags |= _IMPLIED_TAGS
            self._index["tags"] = tags
        return tag.encode() in tags

    def mentions(self, text: bytes) -> bool:
        """False when the markup (ASCII-lowercased) does not contain ``text``."""
        key = b"in:" + text
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = text in self._low()
        return found

    def _low(self) -> bytes:
        low = self._index.get("low")
        if low is None:
            low = self._index["low"] = self.source.encode("utf-8", "surrogatepass").lower()
        return low

    def tag_els(self, tag: str) -> list[El]:
        """HTML elements with this tag, in document order."""
        if tag in _POOL_TAG_SET:
            return self.pool_els((tag,))
        found = self._queries.get("\0" + tag)
        if found is None:
            if not self.has_tag(tag):
                found = []
            else:
                found = [el for el in self.select(tag) if el.tag == tag and el.ns == HTML]
            self._queries["\0" + tag] = found
        return found

    def _order(self) -> dict[int, int]:
        order = self._index.get("order")
        if order is None:
            order = {node.mem_id: i for i, node in enumerate(self.parser.css("*"))}
            self._index["order"] = order
        return order

    @property
    def els(self) -> list[El]:
        """Every element, in document order."""
        els = self._index.get("els")
        if els is None:
            els = []
            stack = [self.root] if self.root is not None else []
            while stack:
                el = stack.pop()
                els.append(el)
                stack.extend(c for c in reversed(el.children) if type(c) is El)
            self._index["els"] = els
        return els

    @property
    def by_tag(self) -> dict[str, list[El]]:
        """HTML elements by tag (document order)."""
        by_tag = self._index.get("by_tag")
        if by_tag is None:
            by_tag = {}
            for el in self.els:
                if el.ns == HTML:
                    by_tag.setdefault(el.tag, []).append(el)
            self._index["by_tag"] = by_tag
        return by_tag

    @property
    def role_els(self) -> list[El]:
        """Elements with a role attribute, in document order."""
        return self.pool_els(attrs=("role",))

    @property
    def lang_els(self) -> list[El]:
        """Elements with a lang attribute, in document order."""
        return self.pool_els(attrs=("lang",))

    @property
    def aria_els(self) -> list[El]:
        """Elements with at least one aria-* attribute, in document order."""
        return self._pool_index()["aria"]

    def aria_attr_names(self) -> frozenset[str] | None:
        """A superset of the aria-* attribute names on the page's elements, read from the
        markup (the tokenizer never unescapes attribute names, only lowercases ASCII), or
        None when one of them is not a plain name a selector can spell."""
        if "aria_names" not in self._index:
            low = self._low()
            names: set[str] | None = set()
            for m in _ARIA_LITERAL.finditer(low):
                i = m.start()
                if not i or low[i - 1] not in _BEFORE_NAME:
                    continue  # not where the tokenizer starts an attribute name
                name = _ATTR_NAME.match(low, i).group()
                if not _PLAIN_NAME.match(name):
                    names = None
                    break
                names.add(name.decode("ascii"))
            self._index["aria_names"] = None if names is None else frozenset(names)
        return self._index["aria_names"]

    def may_have_attr(self, name: str) -> bool:
        """False when no element of the page has this aria-* attribute."""
        names = self.aria_attr_names()
        return names is None or name in names

    def implicit_labels(self) -> bool:
        """False when no label element lacks a for attribute (so no control is labelled by
        a label it is inside of)."""
        found = self._index.get("implicit_labels")
        if found is None:
            found = self._index["implicit_labels"] = any(
                "for" not in el.attrs for el in self.pool_els(("label",))
            )
        return found

    def _ids(self) -> tuple[dict, dict]:
        ids = self._index.get("ids")
        if ids is None:
            by_id: dict[str, El] = {}
            id_count: dict[str, int] = {}
            for el in self.pool_els(attrs=("id",)):
                ident = el.attrs.get("id")
                if ident:
                    if ident in id_count:
                        id_count[ident] += 1
                    else:
                        id_count[ident] = 1
                        by_id[ident] = el
            ids = self._index["ids"] = (by_id, id_count)
        return ids

    @property
    def by_id(self) -> dict[str, El]:
        """The first element with each id."""
        return self._ids()[0]

    @property
    def id_count(self) -> dict[str, int]:
        return self._ids()[1]

    @property
    def labels_for(self) -> dict[str, list[El]]:
        """HTML label elements by their for attribute."""
        labels = self._index.get("labels_for")
        if labels is None:
            labels = {}
            for el in self.pool_els(("label",)):
                if "for" in el.attrs:
                    labels.setdefault(el.attrs.get("for"), []).append(el)
            self._index["labels_for"] = labels
        return labels


_new = El.__new__
_UNSET = object()
# What can make an element's state (or its children's) differ from a plain HTML element's
# (see Page._make): these tags, input[type], children of details and fieldset, the hidden,
# aria-hidden, inert and style attributes and the style sheet's rules.  Elements outside the
# subtrees of all of these are materialised without their ancestors.
_SOURCE_TAGS = (*sorted(_NOT_RENDERED), "dialog", "svg", "math")
# Start tags the tree builder makes up (implied html, head, body, tbody, tr, colgroup; p for
# a stray </p>, br for </br>, img for <image>)
_IMPLIED_TAGS = frozenset(b"html head body tbody tr colgroup p br img".split())
_START_TAG = re.compile(rb"<([a-z][^\t\n\f\r />]*)")
_MAX_POOL_SELECTORS = 100
_SOURCE_TAG_SET = frozenset(_SOURCE_TAGS)
# the source tags whose elements can have element children (the others are void or hold
# only text: they need not be found by the scan, wrap() recognises them)
_PARENT_SOURCE_TAGS = ("head", "noscript", "template", "datalist", "dialog", "svg", "math", "rp")
# tags that are asked of lexbor only when a start tag spells them (none is made up by the
# tree builder; a false positive, e.g. in a comment, only costs a selector)
_RARE_TAGS = frozenset(
    "area select textarea h3 h4 h5 h6 iframe object summary meter progress option hr details "
    "fieldset noscript template datalist dialog svg math rp".split()
)
_RARE_START_TAG = re.compile(
    rb"<(" + b"|".join(sorted((t.encode() for t in _RARE_TAGS), key=len, reverse=True))
    + rb")[\t\n\f\r />]"
)
assert set(_PARENT_SOURCE_TAGS) <= _SOURCE_TAG_SET
# what rules look up: these tags, and elements with these attributes (aria-* apart)
# (links are not: the link rule reads plain ones straight from lexbor)
_POOL_TAGS = tuple(
    "area button input select textarea h1 h2 h3 h4 h5 h6 iframe img object summary meter "
    "progress option hr table title meta label details fieldset".split()
)
_POOL_ATTRS = ("role", "lang", "id", "headers", "onfocus", "onfocusin")
_POOL_ATTR_SET = frozenset(_POOL_ATTRS)
_POOL_ATTR_SELECTORS = tuple(f"[{a}]" for a in _POOL_ATTRS)
_SOURCE_ATTRS = frozenset({"hidden", "aria-hidden", "inert", "style"})
_SOURCE_ATTR_SELECTORS = ("[hidden]", "[aria-hidden]", "[inert]", "[style]")
_POOL_TAG_SET = frozenset(_POOL_TAGS)


def _pool_key(el: El) -> int:
    return el.cache["#"]
# where the tokenizer starts an attribute name (after whitespace, "/" or a quoted value)
_BEFORE_NAME = frozenset(b"\t\n\f\r /\"'")
_ARIA_LITERAL = re.compile(rb"aria-")
_ATTR_NAME = re.compile(rb"aria-[^\t\n\f\r />=]*")
_PLAIN_NAME = re.compile(rb"^[a-z0-9_-]+$")


def child_nth(parent: El, node) -> int:
    """The position of a lexbor element node among its parent's element children (from 1),
    numbered once per parent in lexbor (without materialising the children)."""
    nths = parent.cache.get("nths")
    if nths is None:
        nths = parent.cache["nths"] = {}
        k = 0
        for c in parent.node.iter(include_text=False):
            tag = c.tag
            if tag and tag[0] not in "-_!#":
                k += 1
                nths[c.mem_id] = k
    return nths[node.mem_id]


def _earlier_sibling(node, tag: str) -> bool:
    """Whether an element sibling before ``node`` has this tag."""
    s = node.prev
    while s is not None:
        if s.tag == tag:
            return True
        s = s.prev
    return False
