"""Login return paths: a local path or ``/``, never another site."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtc_gateway.security.return_to import safe_return_to, with_query


@pytest.mark.parametrize("value", ["/", "/demo/", "/demo/citizen.html?x=1#top",
                                   "/demo/%C3%A9t%C3%A9"])
def test_local_paths_are_kept(value: str) -> None:
    assert safe_return_to(value) == value


@pytest.mark.parametrize("value", [
    None, "", "demo", "https://evil.example/", "//evil.example", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "/demo\r\nLocation: //evil", "/demo\t",
    "/é", "/" + "a" * 600,
])
def test_anything_else_is_the_root(value: str | None) -> None:
    assert safe_return_to(value) == "/"


@given(st.text(max_size=80))
def test_the_result_never_leaves_the_gateway(value: str) -> None:
    result = safe_return_to(value)
    assert result.startswith("/")
    assert not result.startswith(("//", "/\\"))
    assert all(0x21 <= ord(c) < 0x7F for c in result)


def test_with_query_adds_a_parameter() -> None:
    assert with_query("/demo/", "auth_error", "state_invalid") == "/demo/?auth_error=state_invalid"
    assert with_query("/demo/?a=1", "auth_error", "x") == "/demo/?a=1&auth_error=x"
