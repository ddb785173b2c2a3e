"""Static accessibility checker: W3C ACT rules decided from the parsed HTML alone.

>>> findings = check_html('<html lang="en"><title>Hi</title><img src="a.png"></html>')
>>> [(f.rule, f.outcome) for f in findings if f.rule == "23a2a8"]
[('23a2a8', 'failed')]

See :mod:`tasks.act` for the rule implementations.
"""

from tasks import act
from tasks.act import *  # noqa: F403 - the public names of the DESIGN contract

__all__ = list(act.__all__)
