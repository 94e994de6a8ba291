"""E-mail addresses that a narrow column may break where a reader expects it.

A table sizes each column by its longest unbreakable piece, so one long address pushed the
accounts table past its box on a wide screen, and on a phone it pushed the chart and the desk's
pages past the screen; letting it break anywhere instead made the table break every address
mid-word, short ones too. Every page that shows an address lets it break only after its @ and
before a dot, the places style guides give for e-mail addresses, so a break never looks like
part of the address (a part too long even then is broken by the page's style sheet).
"""

from __future__ import annotations

from markupsafe import Markup, escape

_BREAK = Markup("<wbr>")


def _before_dots(part: str) -> Markup:
    return (_BREAK + ".").join(escape(piece) for piece in part.split("."))


def breakable_address(address: str) -> Markup:
    """The address, escaped, with an optional break after its @ and before each dot."""
    local, at, domain = address.rpartition("@")
    if not at:
        return _before_dots(address)
    return _before_dots(local) + "@" + _BREAK + _before_dots(domain)
