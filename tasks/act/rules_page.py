"""ACT rules about the page as a whole: language, title, meta elements, autocomplete,
iframes' tab order."""

from __future__ import annotations

import re

from ._langs import THREE_LETTER, TWO_LETTER
from .accname import accessible_name
from .aria_data import WIDGET_ROLES
from .base import CANT_TELL, FAILED, PASSED, describe, rule
from .dom import HTML, El, Page
from .roles import in_sequential_focus, included, input_type, is_disabled, semantic_role

_ASCII_WS = " \t\n\f\r"


def known_primary_language(tag: str) -> bool:
    """Whether a language tag has a primary language subtag from the IANA registry."""
    primary = tag.strip(_ASCII_WS).split("-", 1)[0].lower()
    if len(primary) == 2:
        return primary in TWO_LETTER
    if len(primary) == 3:
        return primary in THREE_LETTER or ("qaa" <= primary <= "qtz" and primary.isalpha())
    return False


def _html_root(page: Page) -> El | None:
    root = page.root
    if not page.is_html_document or root is None or root.tag != "html" or root.ns != HTML:
        return None
    return root


# ---------------------------------------------------------------------------- b5c3f8
@rule("b5c3f8", "HTML page has lang attribute", ["3.1.1"])
def page_has_lang(page: Page):
    root = _html_root(page)
    if root is None:
        return
    lang = root.attrs.get("lang")
    if lang and lang.strip(_ASCII_WS):
        yield PASSED, root, f'The page declares its language (lang="{lang.strip()}").'
    else:
        yield FAILED, root, "The html element has no lang attribute declaring the page language."


# ---------------------------------------------------------------------------- bf051a
@rule("bf051a", "HTML page lang attribute has valid language tag", ["3.1.1"])
def page_lang_valid(page: Page):
    root = _html_root(page)
    if root is None:
        return
    lang = root.attrs.get("lang")
    if not lang or not lang.strip(_ASCII_WS):
        return
    if known_primary_language(lang):
        yield PASSED, root, f'lang="{lang.strip()}" is a known language tag.'
    else:
        yield FAILED, root, f'lang="{lang.strip()}" does not start with a known language code.'


# ---------------------------------------------------------------------------- 2779a5
@rule("2779a5", "HTML page has non-empty title", ["2.4.2"])
def page_title(page: Page):
    root = _html_root(page)
    if root is None:
        return
    # by_tag lists HTML elements only, so an SVG <title> never counts
    titles = page.tag_els("title")  # document order
    title = titles[0] if titles else None
    if title is None:
        yield FAILED, root, "The page has no title element."
    elif any(type(c) is str and c.strip() for c in title.children):
        yield PASSED, root, f'The page title is "{" ".join(title.text_content().split())}".'
    else:
        yield FAILED, root, "The page's title element is empty."


# ---------------------------------------------------------------------------- de46e4
def _text_counts(parent: El) -> bool:
    """Text in ``parent`` is visible or included in the accessibility tree."""
    if parent.disp_none or parent.vis_hidden:
        return False
    return not (parent.aria_hidden and (parent.offscreen or parent.transparent))


_NAME_ATTRS = ("alt", "aria-label", "aria-labelledby", "title", "placeholder", "value")


def _has_inheriting_text(page: Page, el: El) -> bool:
    stack: list = [el]
    named: list[El] = []
    while stack:
        node = stack.pop()
        if node is not el and "lang" in node.attrs:
            continue
        if _text_counts(node):
            for c in node.children:
                if type(c) is str and c.strip():
                    return True
        if any(a in node.attrs for a in _NAME_ATTRS):
            named.append(node)
        stack.extend(c for c in node.children if type(c) is El)
    return any(included(page, n) and accessible_name(page, n) for n in named)


@rule("de46e4", "Element with lang attribute has valid language tag", ["3.1.2"])
def element_lang_valid(page: Page):
    for el in page.lang_els:
        if el.ns != HTML:
            continue
        lang = el.attrs.get("lang")
        if not lang:
            continue
        node = el
        while node is not None and not (node.tag == "body" and node.ns == HTML):
            node = node.parent
        if node is None:
            continue  # not an inclusive descendant of a body element
        if not _has_inheriting_text(page, el):
            continue
        if known_primary_language(lang):
            yield PASSED, el, f'lang="{lang.strip()}" is a known language tag.'
        else:
            yield (
                FAILED,
                el,
                (
                    f'{describe(el)} has lang="{lang}", which does not start with a known '
                    "language code."
                ),
            )


# ---------------------------------------------------------------------------- meta refresh
def refresh_time(content: str) -> int | None:
    """The time of a meta refresh ``content`` (HTML shared declarative refresh steps), or
    None when the value is invalid."""
    s = content
    n = len(s)
    i = 0
    while i < n and s[i] in _ASCII_WS:
        i += 1
    j = i
    while j < n and s[j].isdigit() and s[j].isascii():
        j += 1
    digits = s[i:j]
    i = j
    if not digits:
        if i < n and s[i] == ".":
            time = 0
        else:
            return None
    else:
        time = int(digits)
    while i < n and ((s[i].isdigit() and s[i].isascii()) or s[i] == "."):
        i += 1
    if i < n and s[i] not in ";," + _ASCII_WS:
        return None
    return time


def _first_refresh(page: Page) -> tuple[El, int] | None:
    metas = page.tag_els("meta")
    for el in metas:
        equiv = el.attrs.get("http-equiv")
        if equiv is None or equiv.strip(_ASCII_WS).lower() != "refresh":
            continue
        content = el.attrs.get("content")
        if content is None:
            continue
        t = refresh_time(content)
        if t is not None:
            return el, t
    return None


@rule("bc659a", "Meta element has no refresh delay", ["2.2.1", "2.2.4", "3.2.5"])
def meta_refresh(page: Page):
    found = _first_refresh(page)
    if found is None:
        return
    el, t = found
    if t == 0 or t > 72000:
        yield PASSED, el, f"The page refreshes or redirects after {t} seconds, which is allowed."
    else:
        yield FAILED, el, f"The page refreshes or redirects after a {t} second delay."


@rule("bisz58", "Meta element has no refresh delay (no exception)", ["2.2.4", "3.2.5", "2.2.1"])
def meta_refresh_no_exception(page: Page):
    found = _first_refresh(page)
    if found is None:
        return
    el, t = found
    if t == 0:
        yield PASSED, el, "The page redirects immediately."
    else:
        yield FAILED, el, f"The page refreshes or redirects after a {t} second delay."


# ---------------------------------------------------------------------------- b4f0c3
_NUM_PREFIX = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)")


def _viewport_pairs(content: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r"[,;]", content):
        key, sep, value = part.partition("=")
        key = key.strip(_ASCII_WS).lower()
        if key and sep:
            out[key] = value.strip(_ASCII_WS).lower()
    return out


def _viewport_number(value: str, keywords: dict[str, float], default: float) -> float | None:
    if value in keywords:
        return keywords[value]
    m = _NUM_PREFIX.match(value)
    if m:
        return float(m.group(0))
    return default


@rule("b4f0c3", "Meta viewport allows for zoom", ["1.4.4", "1.4.10"])
def meta_viewport(page: Page):
    for el in page.tag_els("meta"):
        name = el.attrs.get("name")
        content = el.attrs.get("content")
        if name is None or name.strip(_ASCII_WS).lower() != "viewport" or content is None:
            continue
        lc = content.lower()
        if "user-scalable" not in lc and "maximum-scale" not in lc:
            continue
        pairs = _viewport_pairs(content)
        problems = []
        if "user-scalable" in pairs:
            v = _viewport_number(
                pairs["user-scalable"],
                {"yes": 1.0, "no": 0.0, "device-width": 10.0, "device-height": 10.0},
                0.0,
            )
            if v is not None and abs(v) < 1:
                problems.append(f"user-scalable={pairs['user-scalable']} prevents zooming")
        if "maximum-scale" in pairs:
            v = _viewport_number(
                pairs["maximum-scale"],
                {"yes": 1.0, "no": 0.1, "device-width": 10.0, "device-height": 10.0},
                0.1,
            )
            if v is not None and v >= 0:
                v = min(max(v, 0.1), 10.0)
                if v < 2:
                    problems.append(
                        f"maximum-scale={pairs['maximum-scale']} limits zoom below 200%"
                    )
        if problems:
            yield FAILED, el, "The viewport meta element " + " and ".join(problems) + "."
        else:
            yield PASSED, el, "The viewport meta element lets users zoom to 200% or more."


# ---------------------------------------------------------------------------- 73f2c2
_FIELDS = frozenset(
    "name honorific-prefix given-name additional-name family-name honorific-suffix nickname "
    "username new-password current-password one-time-code organization-title organization "
    "street-address address-line1 address-line2 address-line3 address-level4 address-level3 "
    "address-level2 address-level1 country country-name postal-code cc-name cc-given-name "
    "cc-additional-name cc-family-name cc-number cc-exp cc-exp-month cc-exp-year cc-csc "
    "cc-type transaction-currency transaction-amount language bday bday-day bday-month "
    "bday-year sex url photo".split()
)
_CONTACT_FIELDS = frozenset(
    "tel tel-country-code tel-national tel-area-code tel-local tel-local-prefix "
    "tel-local-suffix tel-extension email impp".split()
)
_FIXED_TYPES = frozenset("button checkbox file image radio reset submit".split())


def valid_autocomplete(value: str) -> bool:
    tokens = value.lower().split()
    n = len(tokens)
    i = 0
    if i < n and tokens[i].startswith("section-"):
        i += 1
    if i < n and tokens[i] in ("shipping", "billing"):
        i += 1
    contact = False
    if i < n and tokens[i] in ("home", "work", "mobile", "fax", "pager"):
        contact = True
        i += 1
    if i >= n:
        return False
    field = tokens[i]
    if field in _CONTACT_FIELDS or (not contact and field in _FIELDS):
        i += 1
    else:
        return False
    if i < n and tokens[i] == "webauthn":
        i += 1
    return i == n


@rule("73f2c2", "Autocomplete attribute has valid value", ["1.3.5"])
def autocomplete_valid(page: Page):
    els = [
        el
        for el in page.pool_els(("input", "select", "textarea"))
        if "autocomplete" in el.attrs
    ]
    for el in els:
        value = el.attrs.get("autocomplete") or ""
        tokens = value.split()
        if not tokens:
            continue
        if len(tokens) == 1 and tokens[0].lower() in ("on", "off"):
            continue
        if is_disabled(el):
            continue
        if el.tag == "input" and input_type(el) in _FIXED_TYPES:
            continue
        if not el.visible and not included(page, el):
            continue
        if not in_sequential_focus(el) and semantic_role(page, el) not in WIDGET_ROLES:
            continue
        if valid_autocomplete(value):
            if page.quiet:
                page.passes += 1  # counted, not listed
            else:
                yield PASSED, el, f'autocomplete="{value.strip()}" is a valid autofill value.'
        else:
            yield FAILED, el, f'autocomplete="{value.strip()}" is not a valid autofill value.'


# ---------------------------------------------------------------------------- akn7bn
def _size_too_small(el: El) -> bool:
    for name in ("width", "height"):
        v = el.attrs.get(name)
        if v is None:
            continue
        m = re.match(r"^\s*(\d+(?:\.\d+)?)", v)
        if m and float(m.group(1)) <= 1:
            return True
    return False


@rule("akn7bn", "Iframe with interactive elements is not excluded from tab-order", ["2.1.1"])
def iframe_tab_order(page: Page):
    from .roles import tabindex

    for el in page.tag_els("iframe"):
        if el.inert or not el.visible or _size_too_small(el):
            continue
        ti = tabindex(el)
        negative = ti is not None and ti < 0
        srcdoc = el.attrs.get("srcdoc")
        if srcdoc is not None:
            if page.nested_depth >= 3:
                continue
            inner = Page(srcdoc, page.url, page.nested_depth + 1)
            if not any(in_sequential_focus(d) and d.visible for d in inner.els):
                continue
        else:
            src = (el.attrs.get("src") or "").strip()
            if not src or src.lower().startswith("about:blank"):
                continue
            if negative:
                yield (
                    CANT_TELL,
                    el,
                    (
                        "This iframe is removed from the tab order (negative tabindex); whether its "
                        "document has interactive content cannot be told without loading it."
                    ),
                )
            continue
        if negative:
            yield (
                FAILED,
                el,
                (
                    "This iframe contains content reachable with Tab but has a negative tabindex, "
                    "which keeps keyboard users out of it."
                ),
            )
        else:
            yield PASSED, el, "This iframe with interactive content is in the tab order."
