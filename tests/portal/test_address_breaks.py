"""An e-mail address may break after its @ and before a dot, and nowhere else; it stays
escaped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from plexcare.portal.address_breaks import breakable_address


def test_an_address_may_break_after_its_at_sign_and_before_each_dot() -> None:
    assert str(breakable_address("ann.lee@clinic.example")) == (
        "ann<wbr>.lee@<wbr>clinic<wbr>.example"
    )


def test_what_the_address_holds_is_escaped() -> None:
    assert str(breakable_address('<b>"x"@y')) == "&lt;b&gt;&#34;x&#34;@<wbr>y"


def test_a_value_without_an_at_sign_breaks_only_before_dots() -> None:
    assert str(breakable_address("no.at.sign")) == "no<wbr>.at<wbr>.sign"


@given(st.text(alphabet="ab.@<&", max_size=30))
def test_without_its_breaks_the_address_reads_as_it_was_written(address: str) -> None:
    shown = str(breakable_address(address)).replace("<wbr>", "")
    assert shown == str(escape(address))
