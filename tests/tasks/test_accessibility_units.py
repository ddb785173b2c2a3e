"""Behaviour of the static accessibility checker's building blocks: accessible names,
hidden-ness, roles, findings and robustness against hostile input (speed is in bench/)."""

from __future__ import annotations

import random

import pytest

from tasks.accessibility import Finding, check_html
from tasks.act.accname import accessible_name
from tasks.act.dom import Page
from tasks.act.roles import focusable, in_sequential_focus, included, semantic_role


def _page(body: str, head: str = "") -> Page:
    return Page(
        f'<!DOCTYPE html><html lang="en"><head><title>t</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


def _el(page: Page, ident: str):
    el = page.by_id.get(ident)
    assert el is not None, f"no element with id {ident}"
    return el


def name_of(body: str, ident: str = "x", head: str = "") -> str:
    page = _page(body, head)
    return accessible_name(page, _el(page, ident))


def role_of(body: str, ident: str = "x") -> str | None:
    page = _page(body)
    return semantic_role(page, _el(page, ident))


def outcomes(html: str, rule: str) -> list[str]:
    return [f.outcome for f in check_html(html) if f.rule == rule]


# ------------------------------------------------------------------ accessible names
def test_image_alt_gives_the_image_its_name():
    assert name_of('<img id="x" src="a.png" alt="NHS logo">') == "NHS logo"


def test_image_with_empty_alt_is_decorative():
    page = _page('<img id="x" src="a.png" alt="">')
    el = _el(page, "x")
    assert semantic_role(page, el) == "presentation"
    assert not included(page, el)
    assert outcomes(page.source, "23a2a8") == ["passed"]


def test_image_without_alt_falls_back_to_its_title():
    assert name_of('<img id="x" src="a.png" title="Map of the area">') == "Map of the area"


def test_aria_labelledby_takes_precedence_over_aria_label_and_content():
    body = '<span id="l">Close dialog</span><button id="x" aria-labelledby="l" aria-label="X">x</button>'
    assert name_of(body) == "Close dialog"


def test_aria_labelledby_joins_several_references_in_order():
    body = '<b id="a">Delete</b><i id="b">draft</i><button id="x" aria-labelledby="a b">x</button>'
    assert name_of(body) == "Delete draft"


def test_aria_labelledby_to_missing_ids_falls_back_to_the_next_source():
    assert name_of('<button id="x" aria-labelledby="nope">Save</button>') == "Save"


def test_aria_labelledby_to_an_empty_element_gives_an_empty_name():
    assert name_of('<span id="l"></span><h2 id="x" aria-labelledby="l">Text</h2>') == ""


def test_aria_labelledby_reads_hidden_referenced_content():
    body = '<span id="l" hidden>Opening times</span><button id="x" aria-labelledby="l"></button>'
    assert name_of(body) == "Opening times"


def test_aria_label_of_only_whitespace_is_ignored():
    assert name_of('<button id="x" aria-label="   ">Send</button>') == "Send"


def test_name_from_content_skips_hidden_descendants():
    body = (
        '<a id="x" href="/">Read more<span hidden> secret</span>'
        '<span aria-hidden="true"> icon</span><span style="display:none"> gone</span></a>'
    )
    assert name_of(body) == "Read more"


def test_name_from_content_includes_image_alt_inside_a_link():
    assert name_of('<a id="x" href="/"><img src="i.png" alt="Home"> page</a>') == "Home page"


def test_presentational_image_in_a_link_contributes_nothing():
    assert name_of('<a id="x" href="/"><img src="i.png" role="presentation" alt="x"></a>') == ""


def test_block_elements_in_content_are_separated_by_spaces():
    assert name_of('<a id="x" href="/"><div>One</div><div>Two</div></a>') == "One Two"


def test_label_for_names_its_input():
    assert name_of('<label for="x">Email address</label><input id="x" type="email">') == (
        "Email address"
    )


def test_wrapping_label_names_its_input_without_the_input_value():
    assert name_of('<label>Postcode <input id="x" value="LS1 4AP"></label>') == "Postcode"


def test_select_inside_a_label_contributes_its_selected_option():
    body = (
        '<label for="x">Age <select><option>18-30</option><option selected>31-50</option>'
        '</select> years</label><input id="x">'
    )
    assert name_of(body) == "Age 31-50 years"


def test_placeholder_names_a_text_input_as_a_last_resort():
    assert name_of('<input id="x" placeholder="Search the site">') == "Search the site"


def test_title_is_the_last_resort_for_a_control():
    assert name_of('<input id="x" title="Quantity" placeholder="1">') == "Quantity"


def test_textbox_does_not_take_its_name_from_content():
    assert name_of('<div id="x" role="textbox">typed text</div>') == ""


def test_submit_and_reset_inputs_have_default_names():
    assert name_of('<input id="x" type="submit">') == "Submit"
    assert name_of('<input id="x" type="reset">') == "Reset"
    assert name_of('<input id="x" type="button" value="Go">') == "Go"


def test_image_button_without_alt_gets_the_default_name():
    assert name_of('<input id="x" type="image" src="go.png">') == "Submit Query"


def test_svg_title_child_names_the_svg():
    body = '<svg id="x" role="img"><title>Bar chart</title><text>ignored</text></svg>'
    assert name_of(body) == "Bar chart"


def test_fieldset_is_named_by_its_legend():
    assert name_of('<fieldset id="x"><legend>Contact</legend><input></fieldset>') == "Contact"


def test_iframe_is_named_by_its_title_not_its_name_attribute():
    assert name_of('<iframe id="x" name="frame1" title="Video"></iframe>') == "Video"
    assert name_of('<iframe id="x" name="frame1"></iframe>') == ""


def test_name_whitespace_is_collapsed_and_trimmed():
    assert name_of('<button id="x">\n   Book\n\t an   appointment  </button>') == (
        "Book an appointment"
    )


# ----------------------------------------------------------------------- hidden-ness
def test_hidden_attribute_hides_an_element_and_its_descendants():
    page = _page('<div hidden><p id="x">Text</p></div>')
    el = _el(page, "x")
    assert el.disp_none and el.programmatically_hidden and not el.visible
    assert not included(page, el)


def test_inline_display_none_hides_and_display_override_reveals_hidden_attribute():
    page = _page(
        '<p id="x" style="display: none">a</p><p id="y" hidden style="display:block">b</p>'
    )
    assert _el(page, "x").disp_none
    assert not _el(page, "y").disp_none


def test_visibility_hidden_can_be_reverted_by_a_descendant():
    page = _page(
        '<div style="visibility:hidden"><p id="x">a</p>'
        '<p id="y" style="visibility: visible">b</p></div>'
    )
    assert _el(page, "x").vis_hidden
    assert not _el(page, "y").vis_hidden


def test_aria_hidden_hides_from_assistive_technologies_but_stays_visible():
    page = _page('<div aria-hidden="true"><p id="x">a</p></div>')
    el = _el(page, "x")
    assert el.aria_hidden and el.visible and not included(page, el)


def test_aria_hidden_false_does_not_reveal_content_of_a_hidden_ancestor():
    page = _page('<div aria-hidden="true"><p id="x" aria-hidden="false">a</p></div>')
    assert not included(page, _el(page, "x"))


def test_simple_style_element_rules_are_applied():
    head = (
        "<style>.sr-hide { display: none } #off { position: absolute; left: -9999px }"
        " aside { visibility: hidden }</style>"
    )
    page = _page(
        '<p id="x" class="note sr-hide">a</p><p id="off">b</p><aside><b>c</b></aside>', head
    )
    assert _el(page, "x").disp_none
    assert page.by_tag["b"][0].vis_hidden
    off = _el(page, "off")
    assert not off.visible and included(page, off)


def test_style_rules_inside_media_queries_and_complex_selectors_are_ignored():
    head = "<style>@media print { .x { display:none } } nav .x { display: none }</style>"
    page = _page('<nav><p id="x" class="x">a</p></nav>', head)
    assert not _el(page, "x").disp_none


def test_closed_details_hides_its_content_but_not_its_summary():
    page = _page('<details><summary id="s">More</summary><p id="x">Body</p></details>')
    assert _el(page, "x").disp_none
    assert not _el(page, "s").disp_none


def test_hidden_input_and_script_are_not_rendered():
    page = _page('<input id="x" type="hidden" value="1"><script id="s">var a</script>')
    assert _el(page, "x").disp_none and _el(page, "s").disp_none


def test_offscreen_positioned_content_is_not_visible_but_is_in_the_accessibility_tree():
    page = _page('<a id="x" href="/" style="position:absolute; top:-999em">Skip</a>')
    el = _el(page, "x")
    assert not el.visible and included(page, el)


# ---------------------------------------------------------------------- roles, focus
def test_first_valid_role_token_wins():
    assert role_of('<div id="x" role="nonsense button link">a</div>') == "button"


def test_presentational_role_is_ignored_on_focusable_elements():
    assert role_of('<button id="x" role="none">a</button>') == "button"
    assert role_of('<button id="x" role="none" disabled>a</button>') == "none"


def test_empty_alt_image_with_global_aria_attribute_is_exposed_as_an_image():
    assert role_of('<img id="x" src="a.png" alt="" aria-label="Logo">') == "img"


def test_table_parts_of_a_presentational_table_are_presentational():
    assert role_of('<table role="presentation"><tr><td id="x">a</td></tr></table>') == (
        "presentation"
    )


def test_header_row_cells_are_column_headers_and_first_column_cells_row_headers():
    body = (
        '<table><tr><th id="x">Day</th><th>Open</th></tr>'
        '<tr><th id="y">Mon</th><td>9-5</td></tr></table>'
    )
    page = _page(body)
    assert semantic_role(page, _el(page, "x")) == "columnheader"
    assert semantic_role(page, _el(page, "y")) == "rowheader"


def test_tabindex_and_disabled_decide_focusability():
    page = _page(
        '<a id="a" href="/">a</a><a id="b">b</a><span id="c" tabindex="-1">c</span>'
        '<fieldset disabled><input id="d"></fieldset>'
    )
    assert in_sequential_focus(_el(page, "a"))
    assert not focusable(_el(page, "b"))
    assert focusable(_el(page, "c")) and not in_sequential_focus(_el(page, "c"))
    assert not focusable(_el(page, "d"))


# ------------------------------------------------------------------------- findings
def test_findings_carry_rule_criteria_outcome_target_and_message():
    findings = check_html(
        '<html lang="en"><title>t</title><body><main><img src="a.png"></main></body></html>'
    )
    f = next(f for f in findings if f.rule == "23a2a8")
    assert isinstance(f, Finding)
    assert (f.wcag, f.outcome) == (["1.1.1"], "failed")
    assert f.message and "accessible name" in f.message
    with pytest.raises(AttributeError):
        f.outcome = "passed"  # frozen


def test_target_selectors_locate_the_element():
    from selectolax.lexbor import LexborHTMLParser

    html = (
        '<html lang="en"><title>t</title><body><div><p>x</p><a href="/a"></a>'
        '<a id="two" href="/b"></a></div></body></html>'
    )
    targets = [f.target for f in check_html(html) if f.rule == "c487ae"]
    assert targets[1] == "#two"
    found = LexborHTMLParser(html).css_first(targets[0])
    assert found is not None and found.attributes == {"href": "/a"}


def test_inapplicable_rules_yield_no_findings():
    findings = check_html('<html lang="en"><title>t</title><body><p>Hello</p></body></html>')
    assert {f.rule for f in findings} == {"b5c3f8", "bf051a", "2779a5"}


def test_a_script_built_shadow_tree_makes_required_context_cant_tell():
    html = (
        '<div role="list" aria-owns="i1"></div><div id="h"></div><script>'
        'h.attachShadow({mode:"open"}).innerHTML = "<div id=i1 role=listitem>a</div>"'
        "</script>"
    )
    assert outcomes(html, "ff89c9") == ["cantTell"]


def test_object_with_unknown_resource_type_is_cant_tell():
    assert outcomes('<object data="/media/resource"></object>', "8fc3b6") == ["cantTell"]


# ------------------------------------------------------------------- hostile input
@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "\x00\x00<\x00div>",
        "<",
        "<<<>>>",
        "<!--",
        "<![CDATA[",
        "<html><html><body><body><head>",
        "<table><tr><td><table><caption><td>",
        "<svg><foreignObject><math><mi><svg><p>deep",
        '<div aria-labelledby="a" id="a">self</div><a href=x aria-labelledby="a"></a>',
        '<label for="a"><input id="a"><label for="a">x</label></label>',
        "<p lang>x</p><p lang=' '>y</p>",
        '<meta http-equiv="refresh" content="999999999999999999999999">',
        '<div role="list" aria-owns="a"><div id="a" role="list" aria-owns="b">'
        '<div id="b" aria-owns="a">x</div></div></div>',
        "<td headers='a a a' id='a'>x</td>",
    ],
)
def test_hostile_markup_does_not_crash(html):
    assert isinstance(check_html(html), list)


def test_binary_junk_does_not_crash():
    rnd = random.Random(7)
    junk = bytes(rnd.getrandbits(8) for _ in range(200_000))
    assert isinstance(check_html(junk.decode("latin-1")), list)
    assert isinstance(check_html(junk), list)  # bytes are decoded as UTF-8 with replacement


def test_invalid_utf8_decoded_with_replacement_characters_does_not_crash():
    raw = b'<html lang="en"><title>\xff\xfe</title><body><img alt="\xc3\x28"><a href="/">\xed\xa0\x80</a>'
    findings = check_html(raw.decode("utf-8", "replace"))
    assert any(f.rule == "c487ae" and f.outcome == "passed" for f in findings)


def test_five_megabytes_of_nested_divs_are_checked_without_crashing():
    depth = 5 * 1024 * 1024 // 11
    html = "<div>" * depth + "deep" + "</div>" * depth
    findings = check_html(html)
    assert isinstance(findings, list)


def test_deeply_nested_link_content_does_not_hit_the_recursion_limit():
    html = '<a href="/">' + "<span>" * 3000 + "text" + "</span>" * 3000 + "</a>"
    assert outcomes(html, "c487ae") == ["passed"]


def test_many_unclosed_list_items_do_not_look_deeply_nested():
    html = "<ul>" + "<li>item" * 20000 + "</ul>"
    page = Page(html)
    assert max(e.depth for e in page.els) < 10


# ------------------------------------------------------- realistic pages (also used by bench/)
def _realistic_page(size: int = 100_000, seed: int = 1) -> str:
    rnd = random.Random(seed)
    words = "health service online appointment repeat prescription record pharmacy".split()

    def txt(n: int) -> str:
        return " ".join(rnd.choice(words) for _ in range(n))

    parts = [
        '<!DOCTYPE html><html lang="en"><head><title>Services</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>.sr-only{position:absolute;width:1px;height:1px;clip:rect(0 0 0 0)}</style>"
        '</head><body><header><a href="/"><img src="/logo.svg" alt="Home"></a><nav><ul>'
        + "".join(f'<li><a href="/s{i}">{txt(2)}</a></li>' for i in range(15))
        + '</ul></nav></header><main id="main">'
    ]
    n = 0
    while sum(map(len, parts)) < size:
        n += 1
        parts.append(
            f'<section class="card"><h2>{txt(4)}</h2><p>{txt(40)} <a href="/x{n}">{txt(3)}</a>'
            f"</p><ul>"
            + "".join(f'<li><a href="/y{n}-{j}">{txt(2)}</a></li>' for j in range(5))
            + f'</ul><form><label for="f{n}">Postcode</label><input id="f{n}" '
            f'autocomplete="postal-code"><button type="submit">Find</button></form>'
            f'<table><tr><th scope="col">Service</th><th scope="col">Uptake</th></tr>'
            f"<tr><td>{txt(2)}</td><td>{n}%</td></tr></table></section>"
        )
    parts.append("</main><footer><p>Footer</p></footer></body></html>")
    return "".join(parts)


# ------------------------------------------------ lazy pages, fast paths and the audit shape
def _hostile_mix() -> list[str]:
    """Pages mixing what makes an element's state depend on its ancestors or its style."""
    parts = [
        '<div aria-hidden="true"><a href="/a">hidden link</a><button>b</button></div>',
        '<div hidden><img src="x.png"></div><p class="hide">t <a href="/b">l</a></p>',
        "<details><summary>s</summary><a href=/c>in closed details</a><summary>2</summary>"
        "</details><details open><a href=/d>open</a></details>",
        '<fieldset disabled><legend>l<input id="f"></legend><input autocomplete="email">'
        "</fieldset>",
        '<svg role="img"><title>t</title><a href="/e">svg link</a><foreignObject>'
        '<a href="/f">fo</a></foreignObject></svg>',
        "<math><annotation-xml encoding='text/html'><a href=/g>m</a></annotation-xml></math>",
        '<table><tr><th>a</th><th scope="row">b</th></tr><tr><td></td><td>2</td></tr></table>'
        '<table><tr><th colspan="2">x</th></tr><tr><td>1</td><td>2</td></tr></table>',
        '<table><tr><th>h</th></tr><tr><td style="display:none">1</td></tr></table>',
        '<label>Name <input id="n"></label><label for="m">M</label><input id="m">'
        '<input id="m"><span id="off">x</span>',
        '<a href="/h" title="t"></a><a href="/i">  </a><a href="/j"><!-- c -->x</a>'
        '<a href="/k" class="hide">hidden by class</a><a href="/l" style="opacity:0">o</a>',
        '<div role="list"><div role="listitem"><a href="/m">x</a></div></div>'
        '<ul role="presentation"><li><a href=/n>n</a></li></ul>',
        '<dialog><button>closed dialog</button></dialog><dialog open><a href=/o>o</a></dialog>',
        '<noscript><a href="/p">p</a></noscript><template><a href="/q">q</a></template>',
        '<button aria-hidden="true" tabindex="0">x</button><h2 aria-label="">h</h2><h3></h3>',
        '<img alt><img alt=" "><img alt="a" tabindex="0"><img src=y role="presentation" '
        'aria-label="z"><input type="image" src=q><select aria-label="s"><option>o</select>',
    ]
    head = "<style>.hide{display:none} #off{position:absolute;left:-9999px}</style>"
    rnd = random.Random(7)
    pages = []
    for _ in range(12):
        body = "".join(rnd.sample(parts, 6))
        pages.append(f'<!DOCTYPE html><html lang="en"><head><title>t</title>{head}</head>'
                     f"<body>{body}</body></html>")
    return pages


def _state(el) -> tuple:
    lab = el.label_anc
    return (el.tag, el.ns, el.flags, el.style, el.attrs, el.nth, el.pos, el.depth,
            None if lab is None else lab.pos, el.text_content())


@pytest.mark.parametrize("html", _hostile_mix() + [_realistic_page(20_000, seed=3)])
def test_lazy_pages_give_elements_the_same_state_as_a_full_pass(html):
    eager = Page(html)
    lazy = Page(html, lazy=True)
    assert lazy.flagged_set() is not None  # the scan materialises elements on their own
    for node in lazy.parser.css("a, td, th, label, input"):
        lazy.wrap(node)
    assert [_state(e) for e in lazy.els] == [_state(e) for e in eager.els]


@pytest.mark.parametrize("html", _hostile_mix() + [_realistic_page(30_000, seed=5)])
def test_check_html_does_not_depend_on_how_the_page_is_built(html):
    from tasks.act import RULES, css_selector, open_page

    def run(lazy):
        with open_page(html, lazy=lazy) as page:
            return [(s.id, o, css_selector(page, el), m) for s in RULES for o, el, m in s.fn(page)]

    assert run(True) == run(False)
    assert [(f.rule, f.outcome, f.target, f.message) for f in check_html(html)] == run(False)


@pytest.mark.parametrize("limit", [500, 3, 0])
def test_static_audit_stores_what_compacting_all_findings_stores(limit):
    from services_catalogue.audit import engines

    pages = [*_hostile_mix(), _realistic_page(40_000, seed=9) + '<a href="/z"></a>' * 5]
    for html in pages:
        findings = engines.static_findings(html, "https://x.example/")
        want = (engines.count_outcomes(findings), engines.compact_findings(findings, limit))
        counts, stored, _ = engines.static_audit(html, "https://x.example/", limit)
        assert (counts, stored) == want
        assert [list(f) for f in stored] == [list(f) for f in want[1]]


def test_pages_without_a_statement_link_are_not_parsed_again():
    from services_catalogue.audit import engines
    from services_catalogue.audit.runner import may_link_statement
    from services_catalogue.audit.statement import statement_links

    links = [
        '<a href="/a11y">Accessibility statement</a>', '<a href="/ACCESSIBILITY">x</a>',
        '<a href="/s" title="Accessibility">s</a>', '<a href="/s" aria-label="accessibility">s</a>',
        '<a href="/s"><span><b>Our accessibility</b></span></a>', '<a href="/s">&#65;ccessibility</a>',
        '<a href="/s">access<!-- -->ibility</a>', '<a href="/s">access</span>ibility</a>',
    ]
    for extra in ["", *links]:
        html = _realistic_page(5_000, seed=2).replace("<body>", "<body>" + extra)
        found = bool(statement_links(html, "https://x.example/"))
        *_, probed = engines.static_audit(html, "https://x.example/", probe=may_link_statement)
        assert probed or not found, extra  # never misses a link statement_links would find
        if not extra:
            assert probed is False
