"""Static WAI-ARIA data: roles, their taxonomy, and states and properties.

Sources: WAI-ARIA 1.2, the WAI-ARIA Graphics Module 1.0 and the Digital Publishing WAI-ARIA
Module (DPUB-ARIA 1.0/1.1).  A few ARIA 1.3 attributes that browsers already support
(``aria-description``, ``aria-braillelabel``, ``aria-brailleroledescription``) are accepted as
defined so that current pages are not failed for using them.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------------------------

ABSTRACT_ROLES = frozenset(
    "command composite input landmark range roletype section sectionhead select structure "
    "widget window".split()
)

# role -> direct superclass roles (ARIA 1.2 taxonomy, plus graphics and DPUB modules)
SUPERCLASSES: dict[str, tuple[str, ...]] = {
    # abstract
    "roletype": (),
    "structure": ("roletype",),
    "widget": ("roletype",),
    "window": ("roletype",),
    "command": ("widget",),
    "composite": ("widget",),
    "input": ("widget",),
    "range": ("structure",),
    "section": ("structure",),
    "sectionhead": ("structure",),
    "landmark": ("section",),
    "select": ("composite", "group"),
    # concrete
    "alert": ("section",),
    "alertdialog": ("alert", "dialog"),
    "application": ("structure",),
    "article": ("document",),
    "banner": ("landmark",),
    "blockquote": ("section",),
    "button": ("command",),
    "caption": ("section",),
    "cell": ("section",),
    "checkbox": ("input",),
    "code": ("section",),
    "columnheader": ("cell", "gridcell", "sectionhead"),
    "combobox": ("input",),
    "complementary": ("landmark",),
    "contentinfo": ("landmark",),
    "definition": ("section",),
    "deletion": ("section",),
    "dialog": ("window",),
    "directory": ("list",),
    "document": ("structure",),
    "emphasis": ("section",),
    "feed": ("list",),
    "figure": ("section",),
    "form": ("landmark",),
    "generic": ("structure",),
    "grid": ("composite", "table"),
    "gridcell": ("cell", "widget"),
    "group": ("section",),
    "heading": ("sectionhead",),
    "img": ("section",),
    "insertion": ("section",),
    "link": ("command",),
    "list": ("section",),
    "listbox": ("select",),
    "listitem": ("section",),
    "log": ("section",),
    "main": ("landmark",),
    "marquee": ("section",),
    "math": ("section",),
    "menu": ("select",),
    "menubar": ("menu",),
    "menuitem": ("command",),
    "menuitemcheckbox": ("menuitem",),
    "menuitemradio": ("menuitemcheckbox",),
    "meter": ("range",),
    "navigation": ("landmark",),
    "none": ("structure",),
    "note": ("section",),
    "option": ("input",),
    "paragraph": ("section",),
    "presentation": ("structure",),
    "progressbar": ("range", "widget"),
    "radio": ("input",),
    "radiogroup": ("select",),
    "region": ("landmark",),
    "row": ("group", "widget"),
    "rowgroup": ("structure",),
    "rowheader": ("cell", "gridcell", "sectionhead"),
    "scrollbar": ("range", "widget"),
    "search": ("landmark",),
    "searchbox": ("textbox",),
    "separator": ("structure", "widget"),
    "slider": ("input", "range"),
    "spinbutton": ("composite", "input", "range"),
    "status": ("section",),
    "strong": ("section",),
    "subscript": ("section",),
    "superscript": ("section",),
    "switch": ("checkbox",),
    "tab": ("sectionhead", "widget"),
    "table": ("section",),
    "tablist": ("composite",),
    "tabpanel": ("section",),
    "term": ("section",),
    "textbox": ("input",),
    "time": ("section",),
    "timer": ("status",),
    "toolbar": ("group",),
    "tooltip": ("section",),
    "tree": ("select",),
    "treegrid": ("grid", "tree"),
    "treeitem": ("listitem", "option"),
    # graphics module
    "graphics-document": ("document",),
    "graphics-object": ("group",),
    "graphics-symbol": ("img",),
    # DPUB-ARIA
    "doc-abstract": ("section",),
    "doc-acknowledgments": ("landmark",),
    "doc-afterword": ("landmark",),
    "doc-appendix": ("landmark",),
    "doc-backlink": ("link",),
    "doc-biblioentry": ("listitem",),
    "doc-bibliography": ("landmark",),
    "doc-biblioref": ("link",),
    "doc-chapter": ("landmark",),
    "doc-colophon": ("section",),
    "doc-conclusion": ("landmark",),
    "doc-cover": ("img",),
    "doc-credit": ("section",),
    "doc-credits": ("landmark",),
    "doc-dedication": ("section",),
    "doc-endnote": ("listitem",),
    "doc-endnotes": ("landmark",),
    "doc-epigraph": ("section",),
    "doc-epilogue": ("landmark",),
    "doc-errata": ("landmark",),
    "doc-example": ("section",),
    "doc-footnote": ("section",),
    "doc-foreword": ("landmark",),
    "doc-glossary": ("landmark",),
    "doc-glossref": ("link",),
    "doc-index": ("navigation",),
    "doc-introduction": ("landmark",),
    "doc-noteref": ("link",),
    "doc-notice": ("note",),
    "doc-pagebreak": ("separator",),
    "doc-pagefooter": ("section",),
    "doc-pageheader": ("section",),
    "doc-pagelist": ("navigation",),
    "doc-part": ("landmark",),
    "doc-preface": ("landmark",),
    "doc-prologue": ("landmark",),
    "doc-pullquote": ("none",),
    "doc-qna": ("section",),
    "doc-subtitle": ("sectionhead",),
    "doc-tip": ("note",),
    "doc-toc": ("navigation",),
}

ALL_ROLES = frozenset(SUPERCLASSES)
CONCRETE_ROLES = ALL_ROLES - ABSTRACT_ROLES
# roles defined by WAI-ARIA 1.2 itself (not by the graphics or DPUB modules)
ARIA12_ROLES = frozenset(r for r in CONCRETE_ROLES if not r.startswith(("doc-", "graphics-")))


def _ancestors(role: str) -> frozenset[str]:
    seen: set[str] = set()
    todo = list(SUPERCLASSES.get(role, ()))
    while todo:
        r = todo.pop()
        if r not in seen:
            seen.add(r)
            todo.extend(SUPERCLASSES.get(r, ()))
    return frozenset(seen)


# role -> every (transitive) superclass role
ROLE_ANCESTORS: dict[str, frozenset[str]] = {r: _ancestors(r) for r in SUPERCLASSES}


def inherits(role: str | None, base: str) -> bool:
    """True when ``role`` is ``base`` or one of its subclass roles ("inheriting semantic")."""
    if role is None:
        return False
    return role == base or base in ROLE_ANCESTORS.get(role, ())


WIDGET_ROLES = frozenset(r for r in CONCRETE_ROLES if "widget" in ROLE_ANCESTORS[r]) | frozenset(
    {"tabpanel"}
)

# Roles whose children are presentational (WAI-ARIA 1.2 "Children Presentational: True").
PRESENTATIONAL_CHILDREN_ROLES = frozenset(
    "button checkbox img meter menuitemcheckbox menuitemradio option progressbar radio "
    "scrollbar separator slider switch tab graphics-symbol doc-cover doc-pagebreak".split()
)

# Roles supporting name from content (accname "Name From: contents").
NAME_FROM_CONTENT_ROLES = frozenset(
    "button cell checkbox columnheader gridcell heading link menuitem menuitemcheckbox "
    "menuitemradio option radio row rowheader sectionhead switch tab tooltip treeitem "
    "doc-backlink doc-biblioref doc-glossref doc-noteref".split()
)

# Roles on which aria-label / aria-labelledby are prohibited ("Name From: prohibited").
NAME_PROHIBITED_ROLES = frozenset(
    "caption code deletion emphasis generic insertion none paragraph presentation strong "
    "subscript superscript".split()
)

# Required context roles (WAI-ARIA 1.2 only; the DPUB module is excluded by the ACT rule).
REQUIRED_CONTEXT: dict[str, frozenset[str]] = {
    "caption": frozenset({"figure", "grid", "table", "treegrid"}),
    "cell": frozenset({"row"}),
    "columnheader": frozenset({"row"}),
    "gridcell": frozenset({"row"}),
    "listitem": frozenset({"directory", "list"}),
    "menuitem": frozenset({"group", "menu", "menubar"}),
    "menuitemcheckbox": frozenset({"group", "menu", "menubar"}),
    "menuitemradio": frozenset({"group", "menu", "menubar"}),
    "option": frozenset({"group", "listbox"}),
    "row": frozenset({"grid", "rowgroup", "table", "treegrid"}),
    "rowgroup": frozenset({"grid", "table", "treegrid"}),
    "rowheader": frozenset({"row"}),
    "tab": frozenset({"tablist"}),
    "treeitem": frozenset({"group", "tree"}),
}

# Required owned elements (WAI-ARIA 1.2).  Each entry is a role, or (group_role, inner roles)
# for the "group -> x" form, meaning a group that itself only owns the inner roles.  Two
# children that WAI-ARIA 1.2 defines elsewhere (and ARIA 1.3 lists as allowed children) are
# accepted too: a table's caption (the caption role requires a table context) and the
# separators between menu items.
_MENU_ITEMS = ("menuitem", "menuitemcheckbox", "menuitemradio", "separator")
_MENU_OWNED = _MENU_ITEMS + (("group", _MENU_ITEMS),)
REQUIRED_OWNED: dict[str, tuple] = {
    "feed": ("article",),
    "grid": ("caption", "row", ("rowgroup", ("row",))),
    "list": ("listitem",),
    "listbox": ("option", ("group", ("option",))),
    "menu": _MENU_OWNED,
    "menubar": _MENU_OWNED,
    "radiogroup": ("radio",),
    "row": ("cell", "columnheader", "gridcell", "rowheader"),
    "rowgroup": ("row",),
    "table": ("caption", "row", ("rowgroup", ("row",))),
    "tablist": ("tab",),
    "tree": ("treeitem", ("group", ("treeitem",))),
    "treegrid": ("caption", "row", ("rowgroup", ("row",))),
}

# --------------------------------------------------------------------------------------------
# States and properties
# --------------------------------------------------------------------------------------------

# attribute -> (value type, allowed tokens for token / token list types)
TF = ("true/false", None)
TFU = ("true/false/undefined", None)
TRI = ("tristate", None)
IDREF = ("idref", None)
IDREFS = ("idrefs", None)
INT = ("integer", None)
NUM = ("number", None)
STR = ("string", None)

ATTRIBUTES: dict[str, tuple[str, frozenset[str] | None]] = {
    "aria-activedescendant": IDREF,
    "aria-atomic": TF,
    "aria-autocomplete": ("token", frozenset({"inline", "list", "both", "none"})),
    "aria-braillelabel": STR,
    "aria-brailleroledescription": STR,
    "aria-busy": TF,
    "aria-checked": TRI,
    "aria-colcount": INT,
    "aria-colindex": INT,
    "aria-colindextext": STR,
    "aria-colspan": INT,
    "aria-controls": IDREFS,
    "aria-current": (
        "token",
        frozenset({"page", "step", "location", "date", "time", "true", "false"}),
    ),
    "aria-describedby": IDREFS,
    "aria-description": STR,
    "aria-details": IDREFS,
    "aria-disabled": TF,
    "aria-dropeffect": (
        "tokens",
        frozenset({"copy", "execute", "link", "move", "none", "popup"}),
    ),
    "aria-errormessage": IDREF,
    "aria-expanded": TFU,
    "aria-flowto": IDREFS,
    "aria-grabbed": TFU,
    "aria-haspopup": (
        "token",
        frozenset({"false", "true", "menu", "listbox", "tree", "grid", "dialog"}),
    ),
    "aria-hidden": TFU,
    "aria-invalid": ("token", frozenset({"grammar", "false", "spelling", "true"})),
    "aria-keyshortcuts": STR,
    "aria-label": STR,
    "aria-labelledby": IDREFS,
    "aria-level": INT,
    "aria-live": ("token", frozenset({"assertive", "off", "polite"})),
    "aria-modal": TF,
    "aria-multiline": TF,
    "aria-multiselectable": TF,
    "aria-orientation": ("token", frozenset({"horizontal", "undefined", "vertical"})),
    "aria-owns": IDREFS,
    "aria-placeholder": STR,
    "aria-posinset": INT,
    "aria-pressed": TRI,
    "aria-readonly": TF,
    "aria-relevant": ("tokens", frozenset({"additions", "all", "removals", "text"})),
    "aria-required": TF,
    "aria-roledescription": STR,
    "aria-rowcount": INT,
    "aria-rowindex": INT,
    "aria-rowindextext": STR,
    "aria-rowspan": INT,
    "aria-selected": TFU,
    "aria-setsize": INT,
    "aria-sort": ("token", frozenset({"ascending", "descending", "none", "other"})),
    "aria-valuemax": NUM,
    "aria-valuemin": NUM,
    "aria-valuenow": NUM,
    "aria-valuetext": STR,
}

GLOBAL_ATTRIBUTES = frozenset(
    "aria-atomic aria-braillelabel aria-brailleroledescription aria-busy aria-controls "
    "aria-current aria-describedby aria-description aria-details aria-disabled "
    "aria-dropeffect aria-errormessage aria-flowto aria-grabbed aria-haspopup aria-hidden "
    "aria-invalid aria-keyshortcuts aria-label aria-labelledby aria-live aria-owns "
    "aria-relevant aria-roledescription".split()
)

_RANGE = ("aria-valuemax", "aria-valuemin", "aria-valuenow", "aria-valuetext")
_INPUTISH = ("aria-errormessage", "aria-invalid", "aria-readonly", "aria-required")
_TEXTBOX = (
    "aria-activedescendant",
    "aria-autocomplete",
    "aria-multiline",
    "aria-placeholder",
) + _INPUTISH
_CELL = (
    "aria-colindex",
    "aria-colindextext",
    "aria-colspan",
    "aria-rowindex",
    "aria-rowindextext",
    "aria-rowspan",
)
_GRIDCELL = _CELL + (
    "aria-readonly",
    "aria-required",
    "aria-selected",
    "aria-expanded",
    "aria-errormessage",
    "aria-invalid",
)
_SET = ("aria-posinset", "aria-setsize")

# role -> role-specific supported/required states and properties (own, not inherited;
# inheritance is applied below).
_OWN_ATTRS: dict[str, tuple[str, ...]] = {
    "alert": ("aria-expanded",),
    "alertdialog": ("aria-modal",),
    "application": ("aria-activedescendant", "aria-expanded") + _INPUTISH,
    "article": _SET,
    "button": ("aria-expanded", "aria-pressed"),
    "checkbox": ("aria-checked", "aria-expanded") + _INPUTISH,
    "columnheader": ("aria-sort",),
    "combobox": ("aria-activedescendant", "aria-autocomplete", "aria-controls", "aria-expanded")
    + _INPUTISH,
    "dialog": ("aria-modal",),
    "document": ("aria-expanded",),
    "grid": (
        "aria-activedescendant",
        "aria-colcount",
        "aria-multiselectable",
        "aria-readonly",
        "aria-rowcount",
    ),
    "gridcell": _GRIDCELL,
    "cell": _CELL,
    "group": ("aria-activedescendant", "aria-expanded"),
    "heading": ("aria-level",),
    "link": ("aria-expanded",),
    "listbox": (
        "aria-activedescendant",
        "aria-expanded",
        "aria-multiselectable",
        "aria-orientation",
    )
    + _INPUTISH,
    "listitem": ("aria-level",) + _SET,
    "menu": ("aria-activedescendant", "aria-orientation"),
    "menuitem": ("aria-expanded",) + _SET,
    "menuitemcheckbox": ("aria-checked",),
    "meter": _RANGE,
    "option": ("aria-checked", "aria-selected") + _SET,
    "progressbar": _RANGE,
    "radio": ("aria-checked",) + _SET,
    "radiogroup": ("aria-activedescendant",) + _INPUTISH,
    "row": (
        "aria-activedescendant",
        "aria-colindex",
        "aria-expanded",
        "aria-level",
        "aria-rowindex",
        "aria-selected",
    )
    + _SET,
    "rowheader": ("aria-sort",),
    "scrollbar": ("aria-controls", "aria-orientation") + _RANGE,
    "select": ("aria-orientation",),
    "separator": ("aria-orientation",) + _RANGE,
    "slider": ("aria-orientation", "aria-haspopup") + _RANGE + _INPUTISH,
    "spinbutton": ("aria-activedescendant",) + _RANGE + _INPUTISH,
    "tab": ("aria-expanded", "aria-selected") + _SET,
    "table": ("aria-colcount", "aria-rowcount"),
    "tablist": ("aria-activedescendant", "aria-multiselectable", "aria-orientation"),
    "textbox": _TEXTBOX,
    "toolbar": ("aria-orientation",),
    "tree": ("aria-activedescendant", "aria-multiselectable", "aria-orientation", "aria-expanded")
    + _INPUTISH,
    "treeitem": ("aria-checked", "aria-expanded", "aria-level", "aria-selected") + _SET,
}


def _supported(role: str) -> frozenset[str]:
    attrs = set(_OWN_ATTRS.get(role, ()))
    for anc in ROLE_ANCESTORS.get(role, ()):
        attrs.update(_OWN_ATTRS.get(anc, ()))
    return frozenset(attrs)


# role -> supported (including inherited and required) non-global states and properties
SUPPORTED_ATTRS: dict[str, frozenset[str]] = {r: _supported(r) for r in SUPERCLASSES}

# Required states and properties (WAI-ARIA 1.2), without those that have an implicit value for
# the role.  ``aria-controls`` is only required on a combobox while it is expanded, and
# ``aria-valuenow`` on a separator only when it is focusable (both handled by the rule).
REQUIRED_ATTRS: dict[str, tuple[str, ...]] = {
    "checkbox": ("aria-checked",),
    "combobox": ("aria-expanded",),
    "heading": ("aria-level",),
    "menuitemcheckbox": ("aria-checked",),
    "menuitemradio": ("aria-checked",),
    "meter": ("aria-valuenow",),
    "radio": ("aria-checked",),
    "scrollbar": ("aria-controls", "aria-valuenow"),
    "slider": ("aria-valuenow",),
    "switch": ("aria-checked",),
}

# HTML "language features" without a role mapping that ARIA in HTML still allows some states
# and properties on: element/type -> role whose attributes are allowed.
LANGUAGE_FEATURE_ROLE = {
    "audio": "application",
    "video": "application",
    "input:password": "textbox",
    "input:date": "textbox",
    "input:datetime-local": "textbox",
    "input:month": "textbox",
    "input:time": "textbox",
    "input:week": "textbox",
    "input:file": None,
    "input:color": None,
}
LANGUAGE_FEATURE_EXTRA = {
    "input:file": frozenset({"aria-required", "aria-invalid", "aria-errormessage"}),
    "input:color": frozenset({"aria-required", "aria-invalid", "aria-errormessage"}),
}
