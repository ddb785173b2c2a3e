"""ACT rules about ARIA roles, states and properties."""

from __future__ import annotations

import re

from .aria_data import (
    ARIA12_ROLES,
    ATTRIBUTES,
    CONCRETE_ROLES,
    GLOBAL_ATTRIBUTES,
    LANGUAGE_FEATURE_EXTRA,
    LANGUAGE_FEATURE_ROLE,
    NAME_PROHIBITED_ROLES,
    PRESENTATIONAL_CHILDREN_ROLES,
    REQUIRED_ATTRS,
    REQUIRED_CONTEXT,
    REQUIRED_OWNED,
    SUPPORTED_ATTRS,
)
from .base import CANT_TELL, FAILED, PASSED, candidates, describe, rule
from .dom import HTML, MATHML, SVG, El, Page
from .roles import (
    ax_children,
    ax_parent,
    explicit_role,
    focusable,
    implicit_role,
    in_sequential_focus,
    included,
    input_type,
    is_marked_decorative,
    semantic_role,
)

_ASCII_WS = " \t\n\f\r"
_INTEGER = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
# scripts that react to an element receiving focus (and may move focus away again)
_FOCUS_SCRIPT = re.compile(
    r"""addEventListener\s*\(\s*['"](?:focus|focusin)['"]|\.onfocus(?:in)?\s*=""", re.I
)


def _aria_names(el: El) -> list[str]:
    return [k for k in el.attrs if k[:5] == "aria-"]


# ---------------------------------------------------------------------------- 5f99a7
@rule("5f99a7", "ARIA attribute is defined in WAI-ARIA", ["1.3.1", "4.1.2"])
def aria_attr_defined(page: Page):
    for el in page.aria_els:
        names = _aria_names(el)
        bad = [n for n in names if n not in ATTRIBUTES]
        if bad:
            yield (
                FAILED,
                el,
                (
                    f"{describe(el)} has {', '.join(bad)}, which "
                    f"{'is' if len(bad) == 1 else 'are'} not defined in WAI-ARIA."
                ),
            )
        else:
            yield PASSED, el, f"Every aria-* attribute on {describe(el)} is defined in WAI-ARIA."


# ---------------------------------------------------------------------------- 6cfa84
def _has_focus_scripts(page: Page) -> bool:
    cached = page.__dict__.get("_focus_scripts")
    if cached is None:
        cached = any(_FOCUS_SCRIPT.search(s) for s in page.scripts) or any(
            "onfocus" in el.attrs or "onfocusin" in el.attrs
            for el in page.pool_els(attrs=("onfocus", "onfocusin"))
        )
        page.__dict__["_focus_scripts"] = cached
    return cached


@rule("6cfa84", "Element with aria-hidden has no content in sequential focus navigation", ["4.1.2"])
def aria_hidden_no_focusable(page: Page):
    for el in page.aria_els:
        v = el.attrs.get("aria-hidden")
        if v is None or v.strip(_ASCII_WS).lower() != "true":
            continue
        offender = el if in_sequential_focus(el) else None
        if offender is None:
            for d in el.iter_elements():
                if in_sequential_focus(d):
                    offender = d
                    break
        if offender is None:
            yield PASSED, el, "No content of this aria-hidden element can be reached with Tab."
        elif _has_focus_scripts(page):
            yield (
                CANT_TELL,
                el,
                (
                    f"{describe(offender)} inside an aria-hidden element is in the tab order; "
                    "the page's scripts handle focus and may move it away (a focus sentinel)."
                ),
            )
        else:
            yield (
                FAILED,
                el,
                (
                    f"{describe(offender)} is hidden from assistive technologies with aria-hidden "
                    "but can still be reached with the Tab key."
                ),
            )


# ---------------------------------------------------------------------------- ff89c9
def _scripts_attach_shadow(page: Page) -> bool:
    return any("attachShadow" in s for s in page.scripts)


@rule("ff89c9", "ARIA required context role", ["1.3.1"])
def required_context(page: Page):
    found = False
    for el in page.role_els:
        if el.ns == MATHML:
            continue
        xr = explicit_role(el)
        if xr not in REQUIRED_CONTEXT or xr not in ARIA12_ROLES:
            continue
        if implicit_role(page, el) == xr or not included(page, el):
            continue
        found = True
        parent = ax_parent(page, el)
        prole = semantic_role(page, parent) if parent is not None else None
        allowed = REQUIRED_CONTEXT[xr]
        if prole in allowed:
            yield PASSED, el, f"The {xr} is owned by a {prole}."
        else:
            yield (
                FAILED,
                el,
                (
                    f"The {xr} is not owned by an element with role "
                    f"{' or '.join(sorted(allowed))}"
                    + (f" (its parent in the accessibility tree is a {prole})." if prole else ".")
                ),
            )
    if not found and _scripts_attach_shadow(page):
        yield (
            CANT_TELL,
            None,
            (
                "The page's scripts attach shadow roots, whose content (and the roles in it) a "
                "static parse cannot see."
            ),
        )


# ---------------------------------------------------------------------------- in6db8
@rule("in6db8", "ARIA required ID references exist", ["1.3.1", "4.1.2"])
def required_id_references(page: Page):
    for el in page.aria_els:
        if el.ns != HTML or "aria-controls" not in el.attrs:
            continue
        role = semantic_role(page, el)
        if role == "combobox":
            exp = (el.attrs.get("aria-expanded") or "").strip(_ASCII_WS).lower()
            if exp != "true":
                continue
        elif role != "scrollbar":
            continue
        ids = (el.attrs.get("aria-controls") or "").split()
        if any(i in page.by_id for i in ids):
            yield PASSED, el, f"aria-controls of the {role} references an existing element."
        else:
            yield (
                FAILED,
                el,
                (
                    f"aria-controls of the {role} does not reference any element of the page"
                    + (f" (no element with id {', '.join(ids)})." if ids else ".")
                ),
            )


# ---------------------------------------------------------------------------- bc4a75
def _owned_ok(page: Page, el: El, allowed: tuple) -> tuple[bool, str]:
    kids, text = ax_children(page, el)
    if text:
        return False, "text that is not in an element with a required role"
    for k in kids:
        r = semantic_role(page, k)
        ok = False
        for a in allowed:
            if isinstance(a, str):
                if r == a:
                    ok = True
                    break
            elif r == a[0] and _group_ok(page, k, a[1], 0):
                ok = True
                break
        if not ok:
            return False, f"{describe(k)} with role {r or 'none'}"
    return True, ""


def _group_ok(page: Page, group: El, inner: tuple, depth: int) -> bool:
    if depth > 50:
        return False
    kids, text = ax_children(page, group)
    if text:
        return False
    for k in kids:
        r = semantic_role(page, k)
        if r in inner:
            continue
        if r == "group" and _group_ok(page, k, inner, depth + 1):
            continue
        return False
    return True


def _busy(el: El) -> bool:
    if not el.page.may_have_attr("aria-busy"):
        return False
    node = el
    while node is not None:
        v = node.attrs.get("aria-busy")
        if v is not None and v.strip(_ASCII_WS).lower() == "true":
            return True
        node = node.parent
    return False


@rule("bc4a75", "ARIA required owned elements", ["1.3.1"])
def required_owned(page: Page):
    for el in page.role_els:
        if el.ns == MATHML:
            continue
        xr = explicit_role(el)
        if xr not in REQUIRED_OWNED or not included(page, el) or _busy(el):
            continue
        ok, why = _owned_ok(page, el, REQUIRED_OWNED[xr])
        if ok:
            yield PASSED, el, f"The {xr} only owns elements with its required roles."
        else:
            yield FAILED, el, f"The {xr} owns {why}, which is not one of its required roles."


# ---------------------------------------------------------------------------- 5c01ea
def _language_feature(el: El) -> str | None:
    if el.ns != HTML:
        return None
    if el.tag in ("audio", "video"):
        return el.tag
    if el.tag == "input":
        key = "input:" + input_type(el)
        if key in LANGUAGE_FEATURE_ROLE:
            return key
    return None


def _permitted(page: Page, el: El, attr: str, role: str | None) -> tuple[bool, str]:
    if attr in ("aria-label", "aria-labelledby", "aria-braillelabel") and (
        role in NAME_PROHIBITED_ROLES
    ):
        return False, f"{attr} is prohibited on the {role} role"
    if attr in ("aria-roledescription", "aria-brailleroledescription") and role == "generic":
        return False, f"{attr} is prohibited on the generic role"
    if attr in GLOBAL_ATTRIBUTES:
        return True, ""
    if role is not None and attr in SUPPORTED_ATTRS.get(role, ()):
        if attr in ("aria-valuenow", "aria-valuemin", "aria-valuemax", "aria-valuetext") and (
            role == "separator" and not focusable(el)
        ):
            return False, f"{attr} is only supported on a focusable separator"
        return True, ""
    feature = _language_feature(el)
    if feature is not None:
        frole = LANGUAGE_FEATURE_ROLE[feature]
        if frole is not None and attr in SUPPORTED_ATTRS.get(frole, ()):
            return True, ""
        if attr in LANGUAGE_FEATURE_EXTRA.get(feature, ()):
            return True, ""
    where = f"the {role} role" if role else describe(el)
    return False, f"{attr} is not supported on {where}"


@rule("5c01ea", "ARIA state or property is permitted", ["1.3.1", "4.1.2"])
def aria_permitted(page: Page):
    for el in page.aria_els:
        if el.ns == MATHML or not included(page, el):
            continue
        attrs = [n for n in _aria_names(el) if n in ATTRIBUTES]
        if not attrs:
            continue
        role = semantic_role(page, el)
        problems = []
        for a in attrs:
            ok, why = _permitted(page, el, a, role)
            if not ok:
                problems.append(why)
        if problems:
            yield FAILED, el, "; ".join(problems).capitalize() + "."
        else:
            yield PASSED, el, f"Every ARIA state and property on {describe(el)} is allowed."


# ---------------------------------------------------------------------------- 6a7281
def valid_aria_value(attr: str, value: str) -> bool:
    kind, tokens = ATTRIBUTES[attr]
    v = value.strip(_ASCII_WS)
    lv = v.lower()
    if kind == "string" or kind == "idrefs":
        return True
    if kind == "true/false":
        return lv in ("true", "false")
    if kind == "true/false/undefined":
        return lv in ("true", "false", "undefined")
    if kind == "tristate":
        return lv in ("true", "false", "mixed", "undefined")
    if kind == "idref":
        return bool(v) and len(v.split()) == 1
    if kind == "integer":
        return bool(_INTEGER.match(v))
    if kind == "number":
        return bool(_NUMBER.match(v))
    if kind == "token":
        return lv in tokens
    if kind == "tokens":
        parts = lv.split()
        return bool(parts) and all(p in tokens for p in parts)
    return True  # pragma: no cover


@rule("6a7281", "ARIA state or property has valid value", ["1.3.1", "4.1.2"])
def aria_valid_value(page: Page):
    for el in page.aria_els:
        if el.ns not in (HTML, SVG):
            continue
        checked = []
        bad = []
        for name in _aria_names(el):
            if name not in ATTRIBUTES:
                continue
            value = el.attrs.get(name)
            if not value:
                continue
            checked.append(name)
            if not valid_aria_value(name, value):
                bad.append(f'{name}="{value}"')
        if not checked:
            continue
        if bad:
            yield FAILED, el, f"Invalid ARIA value: {', '.join(bad)}."
        else:
            yield PASSED, el, f"The ARIA values on {describe(el)} are valid."


# ---------------------------------------------------------------------------- 674b10
@rule("674b10", "Role attribute has valid value", ["1.3.1", "4.1.2"])
def role_valid(page: Page):
    for el in page.role_els:
        if el.ns not in (HTML, SVG) or el.programmatically_hidden:
            continue
        value = el.attrs.get("role") or ""
        tokens = value.lower().split()
        if not tokens:
            continue
        if any(t in CONCRETE_ROLES for t in tokens):
            yield PASSED, el, f'role="{value.strip()}" has a valid WAI-ARIA role.'
        else:
            yield FAILED, el, f'role="{value.strip()}" has no valid WAI-ARIA role.'


# ---------------------------------------------------------------------------- 4e8ab6
_NATIVE_STATE = {
    "aria-checked": lambda el: el.tag == "input" and input_type(el) in ("checkbox", "radio"),
    "aria-valuenow": lambda el: (
        el.tag in ("progress", "meter")
        or (el.tag == "input" and input_type(el) in ("range", "number"))
    ),
}


@rule(
    "4e8ab6", "Element with role attribute has required states and properties", ["1.3.1", "4.1.2"]
)
def required_states(page: Page):
    for el in page.role_els:
        if el.ns not in (HTML, SVG):
            continue
        xr = explicit_role(el)
        if xr is None or implicit_role(page, el) == xr or not included(page, el):
            continue
        required = list(REQUIRED_ATTRS.get(xr, ()))
        if xr == "separator" and focusable(el):
            required.append("aria-valuenow")
        elif xr == "combobox":
            expanded = (el.attrs.get("aria-expanded") or "").strip(_ASCII_WS).lower()
            if expanded == "true":
                required.append("aria-controls")  # an expanded combobox controls its popup
        missing = []
        for attr in required:
            v = el.attrs.get(attr)
            if v is not None and v.strip(_ASCII_WS):
                continue
            native = _NATIVE_STATE.get(attr)
            if native is not None and el.ns == HTML and native(el):
                continue
            missing.append(attr)
        if missing:
            yield FAILED, el, f"The {xr} role requires {', '.join(missing)}."
        else:
            yield PASSED, el, f"The {xr} has its required states and properties."


# ---------------------------------------------------------------------------- 307n5z
@rule("307n5z", "Element with presentational children has no focusable content", ["4.1.2"])
def presentational_children(page: Page):
    tags = ("button", "input", "img", "meter", "progress", "option", "hr")
    for el in candidates(page, tags):
        if el.ns not in (HTML, SVG):
            continue
        role = semantic_role(page, el)
        if role not in PRESENTATIONAL_CHILDREN_ROLES:
            continue
        offender = None
        if page.text_only(el) is None:  # it has element children
            for d in el.iter_elements():
                if in_sequential_focus(d):
                    offender = d
                    break
        if offender is None:
            if page.quiet:
                page.passes += 1  # counted, not listed
            else:
                yield PASSED, el, f"The {role} has no focusable content."
        else:
            yield (
                FAILED,
                el,
                (
                    f"The {role} has presentational children, yet contains {describe(offender)} "
                    "which can be reached with Tab."
                ),
            )


# ---------------------------------------------------------------------------- 46ca7f
@rule("46ca7f", "Element marked as decorative is not exposed", [])
def decorative_not_exposed(page: Page):
    for el in candidates(page, ("img",)):
        if not is_marked_decorative(page, el):
            continue
        if included(page, el):
            role = semantic_role(page, el)
            yield (
                FAILED,
                el,
                (
                    f"{describe(el)} is marked as decorative but is exposed to assistive "
                    f"technologies as {role or 'an element'} (it is focusable or has global ARIA "
                    "attributes)."
                ),
            )
        else:
            why = "is hidden" if el.programmatically_hidden else "has a presentational role"
            yield PASSED, el, f"{describe(el)} is marked as decorative and {why}."
