"""Findings, the rule registry and helpers shared by the rule modules."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .dom import El, Page, child_nth

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
    if type(el) is not El:  # a lexbor node (rules may yield those for plain elements)
        node = el
        el = page.mem.get(node.mem_id)
        if el is None:
            return _node_selector(page, node)
    sel = el.cache.get("sel")
    if sel is not None:
        return sel
    id_count = page.id_count
    chain: list[El] = []
    node: El | None = el
    base = ""
    while node is not None:
        cache = node.cache
        cached = cache.get("sel")
        if cached is not None:
            base = cached
            break
        ident = node.attrs.get("id")
        if ident and id_count.get(ident) == 1 and _PLAIN_ID.match(ident):
            base = cache["sel"] = "#" + ident
            break
        parent = node.parent
        if parent is None:
            base = cache["sel"] = node.tag
            break
        chain.append(node)
        node = parent
    for node in reversed(chain):
        base = node.cache["sel"] = f"{base} > {node.tag}:nth-child({node.nth})"
    return base


def _node_selector(page: Page, node) -> str:
    """css_selector for the lexbor node of a plain element that is not materialised (its
    tag is lexbor's, it has a parent), without materialising it."""
    flagged = page.flagged_set()
    parent = node.parent
    if flagged is None or node.mem_id in flagged or parent is None:
        return css_selector(page, page.wrap(node))
    ident = node.attributes.get("id")
    if ident and page.id_count.get(ident) == 1 and _PLAIN_ID.match(ident):
        return "#" + ident
    parent_el = page.wrap(parent)
    if parent_el is None:
        return css_selector(page, page.wrap(node))
    return f"{css_selector(page, parent_el)} > {node.tag}:nth-child({child_nth(parent_el, node)})"


def candidates(page: Page, tags: Iterable[str] = (), with_roles: bool = True) -> list[El]:
    """HTML elements with one of ``tags`` plus (optionally) every element with a role
    attribute, in document order and without duplicates."""
    return page.pool_els(tags, ("role",) if with_roles else ())


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
