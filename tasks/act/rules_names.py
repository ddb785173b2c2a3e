"""ACT rules requiring a non-empty accessible name."""

from __future__ import annotations

import re

from .accname import DEFAULT_IMAGE_BUTTON_NAME, accessible_name
from .aria_data import inherits
from .base import CANT_TELL, FAILED, PASSED, candidates, describe, rule
from .dom import HIDDEN_FLAGS, HTML, SVG, Page
from .roles import (
    PRESENTATIONAL,
    explicit_role,
    focusable,
    included,
    input_type,
    is_summary_for_details,
    semantic_role,
    tabindex,
)


def _plain_text_name(page: Page, el) -> str | None:
    """The accessible name of an HTML element with a name-from-content role that has no
    author naming attributes and only text for content (what accessible_name computes),
    else None."""
    attrs = el.attrs
    if "aria-label" in attrs or "aria-labelledby" in attrs or "title" in attrs:
        return None
    text = page.text_only(el)
    if text is None:
        return None
    return " ".join(text.split())


def _named(name: str) -> str:
    return f'accessible name "{name}"' if len(name) <= 80 else "a non-empty accessible name"


# ---------------------------------------------------------------------------- 97a4e1
_BUTTON_INPUTS = frozenset({"button", "image", "reset", "submit"})


@rule("97a4e1", "Button has non-empty accessible name", ["4.1.2"])
def button_name(page: Page):
    for el in candidates(page, ("button", "input")):
        if el.tag == "input" and "role" not in el.attrs and el.ns == HTML:
            if input_type(el) not in _BUTTON_INPUTS:
                continue  # its implicit role is not button (and it has no other)
        if semantic_role(page, el) != "button" or not included(page, el):
            continue
        if el.tag == "input" and el.ns == HTML and input_type(el) == "image":
            continue
        name = accessible_name(page, el)
        if name:
            if page.quiet:
                page.passes += 1  # counted, not listed
            else:
                yield PASSED, el, f"The button has the {_named(name)}."
        else:
            yield FAILED, el, f"{describe(el)} is a button without an accessible name."


# ---------------------------------------------------------------------------- 7d6734
@rule("7d6734", "SVG element with explicit role has non-empty accessible name", ["1.1.1"])
def svg_image_name(page: Page):
    for el in page.role_els:
        if el.ns != SVG:
            continue
        xr = explicit_role(el)
        if xr not in ("img", "graphics-document", "graphics-symbol") or not included(page, el):
            continue
        name = accessible_name(page, el)
        if name:
            yield PASSED, el, f"The SVG {xr} has the {_named(name)}."
        else:
            yield FAILED, el, f'<{el.tag} role="{xr}"> has no accessible name.'


# ---------------------------------------------------------------------------- e086e5
_FIELD_ROLES = frozenset(
    "checkbox combobox listbox menuitemcheckbox menuitemradio radio searchbox slider "
    "spinbutton switch textbox".split()
)
_ROLELESS_FIELD_TYPES = frozenset("color date datetime-local file month password time week".split())


@rule("e086e5", "Form field has non-empty accessible name", ["4.1.2", "1.3.1", "2.5.3"])
def form_field_name(page: Page):
    for el in candidates(page, ("input", "select", "textarea")):
        if not included(page, el):
            continue
        role = semantic_role(page, el)
        if role not in _FIELD_ROLES:
            if not (
                role is None
                and el.tag == "input"
                and el.ns == HTML
                and input_type(el) in _ROLELESS_FIELD_TYPES
            ):
                continue
        name = accessible_name(page, el)
        what = role or f'input type="{input_type(el)}"'
        if name:
            if page.quiet:
                page.passes += 1  # counted, not listed
            else:
                yield PASSED, el, f"The {what} has the {_named(name)}."
        else:
            yield FAILED, el, f"{describe(el)} is a form field ({what}) without an accessible name."


# ---------------------------------------------------------------------------- ffd0e9
@rule("ffd0e9", "Heading has non-empty accessible name", [])
def heading_name(page: Page):
    for el in candidates(page, ("h1", "h2", "h3", "h4", "h5", "h6")):
        attrs = el.attrs
        if "role" not in attrs and not el.flags & HIDDEN_FLAGS and el.ns == HTML:
            name = _plain_text_name(page, el)  # a heading, included
        else:
            name = None
        if name is None:
            if el.ns != HTML or semantic_role(page, el) != "heading" or not included(page, el):
                continue
            name = accessible_name(page, el)
        if name:
            if page.quiet:
                page.passes += 1  # counted, not listed
            else:
                yield PASSED, el, f"The heading has the {_named(name)}."
        else:
            yield FAILED, el, f"{describe(el)} is a heading without an accessible name."


# ---------------------------------------------------------------------------- cae760
@rule("cae760", "Iframe element has non-empty accessible name", ["4.1.2"])
def iframe_name(page: Page):
    for el in candidates(page, ("iframe",), with_roles=False):
        if el.ns != HTML or el.programmatically_hidden:
            continue
        ti = tabindex(el)
        if (ti is not None and ti < 0) or explicit_role(el) in PRESENTATIONAL:
            continue  # negative tabindex or marked as decorative
        name = accessible_name(page, el)
        if name:
            yield PASSED, el, f"The iframe has the {_named(name)}."
        else:
            yield FAILED, el, "This iframe has no accessible name (give it a title attribute)."


# ---------------------------------------------------------------------------- 59796f
@rule("59796f", "Image button has non-empty accessible name", ["1.1.1", "4.1.2"])
def image_button_name(page: Page):
    for el in candidates(page, ("input",), with_roles=False):
        if input_type(el) != "image" or not included(page, el):
            continue
        name = accessible_name(page, el)
        if name and name != DEFAULT_IMAGE_BUTTON_NAME:
            yield PASSED, el, f"The image button has the {_named(name)}."
        else:
            yield (
                FAILED,
                el,
                (
                    "This image button has no accessible name of its own (only the default "
                    f'"{DEFAULT_IMAGE_BUTTON_NAME}"); give it an alt attribute.'
                ),
            )


# ---------------------------------------------------------------------------- 23a2a8
@rule("23a2a8", "Image has non-empty accessible name", ["1.1.1"])
def image_name(page: Page):
    for el in candidates(page, ("img",)):
        if el.ns != HTML or el.programmatically_hidden:
            continue
        role = semantic_role(page, el)
        if el.tag != "img" and role != "img":
            continue
        if role in PRESENTATIONAL:
            yield PASSED, el, f"{describe(el)} is decorative (role {role})."
            continue
        name = accessible_name(page, el)
        if name:
            if page.quiet:
                page.passes += 1  # counted, not listed
            else:
                yield PASSED, el, f"The image has the {_named(name)}."
        else:
            yield (
                FAILED,
                el,
                (
                    f'{describe(el)} has no accessible name: give it alt text, or alt="" if it '
                    "is decorative."
                ),
            )


# ---------------------------------------------------------------------------- c487ae
@rule("c487ae", "Link has non-empty accessible name", ["4.1.2", "2.4.4", "2.4.9", "1.1.1"])
def link_name(page: Page):
    # Plain links (an <a href> outside every flagged subtree, without role, aria-* or title
    # attributes, holding only text) are read straight from lexbor: they are links,
    # included, named by their text.  The others get the full treatment.
    plain = page.plain_links()
    mem = page.mem
    wrap = page.wrap
    selector = ":is(a,area,[role])" if page.mentions(b"role") else ":is(a,area)"
    for node in page.parser.css(selector):
        name = None
        if plain:
            mid = node.mem_id
            if mid in plain and mid not in mem:
                c = node.child
                if c is None:
                    text = ""
                elif c.next is None and c.tag == "-text":
                    text = c.text_content or ""
                else:
                    text = page.node_text_only(node)
                if text is not None:
                    if page.quiet and text and not text.isspace():
                        page.passes += 1  # a pass, counted (its name is not needed)
                        continue
                    name = " ".join(text.split())
        if name is None:
            el = wrap(node)
            if el is None:
                continue
            if el.ns != HTML:
                continue
            if el.tag not in ("a", "area") and "role" not in el.attrs:
                continue
            if not inherits(semantic_role(page, el), "link") or not included(page, el):
                continue
            name = accessible_name(page, el)
            target = el
        else:
            target = node
        if name:
            if page.quiet:
                page.passes += 1  # counted, not listed
            else:
                yield PASSED, target, f"The link has the {_named(name)}."
        else:
            el = wrap(node)
            yield FAILED, el, f"{describe(el)} is a link without an accessible name."


# ---------------------------------------------------------------------------- m6b1q3
@rule("m6b1q3", "Menuitem has non-empty accessible name", ["4.1.2"])
def menuitem_name(page: Page):
    for el in page.role_els:
        if el.ns != HTML or semantic_role(page, el) != "menuitem" or not included(page, el):
            continue
        name = accessible_name(page, el)
        if name:
            yield PASSED, el, f"The menuitem has the {_named(name)}."
        else:
            yield FAILED, el, f"{describe(el)} is a menuitem without an accessible name."


# ---------------------------------------------------------------------------- 8fc3b6
_IMAGE_EXT = frozenset(
    "png jpg jpeg jpe jfif pjpeg pjp gif svg svgz webp bmp ico cur avif apng tif tiff".split()
)
_AV_EXT = frozenset(
    "mp3 wav ogg oga m4a aac flac opus weba mid midi mp4 m4v webm ogv mov avi mkv 3gp 3g2 "
    "mpeg mpg wmv wma".split()
)
_TEXT_EXT = frozenset(
    "html htm xhtml xht shtml php asp aspx jsp cgi pl txt pdf swf json xml js css md".split()
)
_DATA_URL = re.compile(r"^\s*data:([\w.+-]+/[\w.+-]+)", re.I)


def object_media_kind(page: Page, el) -> str | None:
    """'media' when the object embeds an image, audio or video resource, 'other' when it
    embeds something else or nothing, None when the type cannot be decided statically."""
    t = (el.attrs.get("type") or "").strip().lower()
    data = (el.attrs.get("data") or "").strip()
    if not data:
        return "other"
    if t:
        return "media" if t.split("/")[0] in ("image", "audio", "video") else "other"
    m = _DATA_URL.match(data)
    if m:
        return (
            "media"
            if m.group(1).split("/")[0].lower() in ("image", "audio", "video")
            else ("other")
        )
    path = re.split(r"[?#]", data, maxsplit=1)[0]
    last = path.rsplit("/", 1)[-1]
    if "." in last:
        ext = last.rsplit(".", 1)[1].lower()
        if ext in _IMAGE_EXT or ext in _AV_EXT:
            return "media"
        if ext in _TEXT_EXT:
            return "other"
    return None


@rule(
    "8fc3b6", "Object element rendering non-text content has non-empty accessible name", ["1.1.1"]
)
def object_name(page: Page):
    for el in candidates(page, ("object",), with_roles=False):
        if el.ns != HTML or explicit_role(el) is not None or not included(page, el):
            continue
        kind = object_media_kind(page, el)
        if kind == "other":
            continue
        name = accessible_name(page, el)
        if kind is None:
            yield (
                CANT_TELL,
                el,
                (
                    "The type of resource this object embeds cannot be told from the markup; "
                    + ("it has the " + _named(name) + "." if name else "it has no accessible name.")
                ),
            )
        elif name:
            yield PASSED, el, f"The object has the {_named(name)}."
        else:
            yield (
                FAILED,
                el,
                (
                    "This object embeds an image, audio or video without an accessible name "
                    "(give it a title or aria-label)."
                ),
            )


# ---------------------------------------------------------------------------- 2t702h
@rule("2t702h", "Summary element has non-empty accessible name", ["4.1.2"])
def summary_name(page: Page):
    for el in candidates(page, ("summary",), with_roles=False):
        if not is_summary_for_details(el) or not included(page, el):
            continue
        xr = explicit_role(el)
        if xr is not None and not (xr in PRESENTATIONAL and focusable(el)):
            continue
        name = accessible_name(page, el)
        if name:
            yield PASSED, el, f"The summary has the {_named(name)}."
        else:
            yield FAILED, el, "This summary of a details element has no accessible name."
