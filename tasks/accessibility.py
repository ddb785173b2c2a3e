"""Static accessibility checker: W3C ACT rules decided from the parsed HTML alone.

>>> findings = check_html('<html lang="en"><title>Hi</title><img src="a.png"></html>')
>>> [(f.rule, f.outcome) for f in findings if f.rule == "23a2a8"]
[('23a2a8', 'failed')]

See :mod:`tasks.act` for the rule implementations.
"""

from tasks.act import (
    CANT_TELL,
    FAILED,
    PASSED,
    RULES,
    Finding,
    check_html,
    css_selector,
    iter_results,
    open_page,
    rule_ids,
)

__all__ = [
    "CANT_TELL",
    "FAILED",
    "PASSED",
    "RULES",
    "Finding",
    "check_html",
    "css_selector",
    "iter_results",
    "open_page",
    "rule_ids",
]
