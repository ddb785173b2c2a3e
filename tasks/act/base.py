"""Findings, the rule registry and helpers shared by the rule modules."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .dom import El, Page

PASSED, FAILED, CANT_TELL = "passed", "failed", "cantTell"


@dataclass(frozen=True)
class Finding:
    """The outcome of one ACT rule for one test target."""

    rule: str  # W3C ACT rule id, e.g. "23a2a8"
    wcag: list[str]  # WCAG success criteria the rule maps to, e.g. ["1.1.1"]
    outcome: str  # "passed", "failed" or "cantTell"
    target: str  # CSS selector locating the element
    message: str  # plain English


# A rule yields (outcome, element or None for the page, message) for each test target.
RuleFn = Callable[[Page], Iterable[tuple[str, "El | None", str]]]


@dataclass(frozen=True)
class RuleSpec:
    id: str
    name: str
    wcag: tuple[str, ...]
    fn: RuleFn


RULES: list[RuleSpec] = []


def rule(rule_id: str, name: str, wcag: Iterable[str] = ()):
    def register(fn: RuleFn) -> RuleFn:
        RULES.append(RuleSpec(rule_id, name, tuple(wcag), fn))
        return fn

    return register


_PLAIN_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def css_selector(page: Page, el: El | None) -> str:
    """A CSS selector that locates ``el``: its id when unique, else an nth-child path from the
    nearest ancestor with a unique id (or from the root).  Selectors are cached per element,
    so the paths of siblings share their ancestors' work."""
    if el is None:
        return "html"
    sel = el.cache.get("sel")
    if sel is not None:
        return sel
    chain: list[El] = []
    node: El | None = el
    base = ""
    while node is not None:
        cached = node.cache.get("sel")
        if cached is not None:
            base = cached
            break
        ident = node.attrs.get("id")
        if ident and page.id_count.get(ident) == 1 and _PLAIN_ID.match(ident):
            base = "#" + ident
            node.cache["sel"] = base
            break
        if node.parent is None:
            base = node.tag
            node.cache["sel"] = base
            break
        chain.append(node)
        node = node.parent
    for node in reversed(chain):
        base = f"{base} > {node.tag}:nth-child({node.nth})"
        node.cache["sel"] = base
    return base


def candidates(page: Page, tags: Iterable[str] = (), with_roles: bool = True) -> list[El]:
    """HTML elements with one of ``tags`` plus (optionally) every element with a role
    attribute, in document order and without duplicates."""
    seen: set[int] = set()
    out: list[El] = []
    for t in tags:
        for el in page.by_tag.get(t, ()):
            if id(el) not in seen:
                seen.add(id(el))
                out.append(el)
    if with_roles:
        for el in page.role_els:
            if id(el) not in seen:
                seen.add(id(el))
                out.append(el)
    out.sort(key=lambda e: e.pos)
    return out


def describe(el: El) -> str:
    """A short human description of an element, e.g. ``<img>`` or ``<div role="img">``."""
    role = el.attrs.get("role")
    if role:
        return f'<{el.tag} role="{role.strip()}">'
    if el.tag == "input":
        t = el.attrs.get("type")
        if t:
            return f'<input type="{t.strip()}">'
    return f"<{el.tag}>"
