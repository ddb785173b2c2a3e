"""A deliberately small CSS reader: inline ``style`` attributes and the simple rules of
``<style>`` elements that decide whether something is rendered at all.

Only what a static check can decide soundly is read: ``display``, ``visibility``, ``opacity``
and off-screen positioning, from inline styles and from rules whose selector is a single
compound of type, class and id selectors (``p``, ``.x``, ``#y``, ``div.a.b``).  Rules inside
at-rules (``@media`` ...) and selectors with combinators or pseudo-classes are ignored: a
stylesheet that the parse cannot evaluate is treated as not hiding anything.
"""

from __future__ import annotations

import re

RELEVANT = frozenset(
    "display visibility opacity position left top margin-left margin-top clip clip-path".split()
)

_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
_IMPORTANT = re.compile(r"\s*!\s*important\s*$", re.I)
_SIMPLE_SELECTOR = re.compile(r"^(?:[a-zA-Z][\w-]*|\*)?(?:[.#][\w-]+)*$")
_SELECTOR_PART = re.compile(r"([.#]?)([\w-]+|\*)")
_LENGTH = re.compile(r"^\s*(-?\d*\.?\d+)\s*(px|em|rem|%|vw|vh|pt|cm|mm|in)?\s*$")


def parse_declarations(text: str) -> dict[str, str]:
    """Parse a declaration block into {property: value}, keeping only relevant properties."""
    out: dict[str, str] = {}
    if not text:
        return out
    for decl in text.split(";"):
        prop, sep, value = decl.partition(":")
        if not sep:
            continue
        prop = prop.strip().lower()
        if prop not in RELEVANT:
            continue
        value = _IMPORTANT.sub("", value.strip().lower())
        if value:
            out[prop] = value
    return out


class Rule:
    __slots__ = ("tag", "ident", "classes", "specificity", "order", "decls")

    def __init__(self, tag, ident, classes, specificity, order, decls):
        self.tag = tag
        self.ident = ident
        self.classes = classes
        self.specificity = specificity
        self.order = order
        self.decls = decls


class StyleSheet:
    """The simple rules of a page's ``<style>`` elements, indexed for lookup."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[Rule]] = {}
        self.by_class: dict[str, list[Rule]] = {}
        self.by_tag: dict[str, list[Rule]] = {}
        self.universal: list[Rule] = []
        self._order = 0

    def __bool__(self) -> bool:
        return bool(self.by_id or self.by_class or self.by_tag or self.universal)

    def add_css(self, css: str) -> None:
        css = _COMMENT.sub("", css)
        for selectors, block in _top_level_rules(css):
            decls = parse_declarations(block)
            if not decls:
                continue
            for selector in selectors.split(","):
                self._add(selector.strip(), decls)

    def _add(self, selector: str, decls: dict[str, str]) -> None:
        if not selector or not _SIMPLE_SELECTOR.match(selector):
            return
        tag = ident = None
        classes = []
        for prefix, name in _SELECTOR_PART.findall(selector):
            if prefix == "#":
                ident = name
            elif prefix == ".":
                classes.append(name)
            elif name != "*":
                tag = name.lower()
        spec = (1 if ident else 0, len(classes), 1 if tag else 0)
        self._order += 1
        rule = Rule(tag, ident, frozenset(classes), spec, self._order, decls)
        if ident:
            self.by_id.setdefault(ident, []).append(rule)
        elif classes:
            self.by_class.setdefault(classes[0], []).append(rule)
        elif tag:
            self.by_tag.setdefault(tag, []).append(rule)
        else:
            self.universal.append(rule)

    def match(self, tag: str, ident: str | None, classes: list[str]) -> dict[str, str] | None:
        """Cascade the matching rules for an element (without its inline style)."""
        found: list[Rule] = []
        if ident is not None:
            found.extend(self.by_id.get(ident, ()))
        for c in classes:
            found.extend(self.by_class.get(c, ()))
        found.extend(self.by_tag.get(tag, ()))
        found.extend(self.universal)
        if not found:
            return None
        cls = set(classes)
        matched = [
            r
            for r in found
            if (r.tag is None or r.tag == tag)
            and (r.ident is None or r.ident == ident)
            and r.classes <= cls
        ]
        if not matched:
            return None
        matched.sort(key=lambda r: (r.specificity, r.order))
        out: dict[str, str] = {}
        for r in matched:
            out.update(r.decls)
        return out


def _top_level_rules(css: str):
    """Yield (selector text, declaration block) for top-level rules, skipping at-rules."""
    i, n = 0, len(css)
    while i < n:
        brace = css.find("{", i)
        if brace < 0:
            return
        prelude = css[i:brace].strip()
        # find the matching close brace
        depth, j = 1, brace + 1
        while j < n and depth:
            c = css[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            j += 1
        block = css[brace + 1 : j - 1]
        i = j
        at = prelude.rfind("@")
        if at >= 0:
            # an at-rule (possibly preceded by statement at-rules such as @import ...;)
            continue
        if ";" in prelude:
            prelude = prelude.rsplit(";", 1)[1]
        yield prelude, block


def length_px(value: str | None) -> float | None:
    """Rough pixel value of a CSS length (em/rem as 16px); None when not a plain length."""
    if not value:
        return None
    m = _LENGTH.match(value)
    if not m:
        return None
    num = float(m.group(1))
    unit = m.group(2) or "px"
    if unit in ("em", "rem"):
        return num * 16
    if unit == "%":
        return num * 10  # a percentage of a viewport-sized box, roughly
    if unit in ("vw", "vh"):
        return num * 10
    if unit == "pt":
        return num * 4 / 3
    if unit == "cm":
        return num * 37.8
    if unit == "mm":
        return num * 3.78
    if unit == "in":
        return num * 96
    return num


def is_offscreen(style: dict[str, str]) -> bool:
    """Whether a style moves its box out of the page or clips it to nothing."""
    pos = style.get("position")
    if pos in ("absolute", "fixed"):
        for prop in ("left", "top"):
            v = length_px(style.get(prop))
            if v is not None and v <= -500:
                return True
        clip = style.get("clip", "")
        if clip.startswith("rect(") and re.sub(r"[\s,0px]", "", clip[5:-1]) in ("", "1111"):
            return True
        cp = style.get("clip-path", "")
        if cp.startswith("inset(50%") or cp.startswith("inset(100%"):
            return True
    for prop in ("margin-left", "margin-top"):
        v = length_px(style.get(prop))
        if v is not None and v <= -500:
            return True
    return False
