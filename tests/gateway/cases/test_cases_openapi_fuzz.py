"""Property-based requests from ``/api/v1/openapi.json`` (schemathesis) against a real
gateway process: no answer is a server error, every refusal has the error shape."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from rtc_gateway.gateway.openapi import document
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.security.keys import load_private_key
from rtc_gateway.security.tokens import TokenAuthority
from tests.support.gateway_process import GatewayProcess, start_gateway

schema = schemathesis.openapi.from_dict(document())
LIMITS = {"RTC_GATEWAY_CASE_WRITES_PER_IDENTITY_BURST": "100000",
          "RTC_GATEWAY_CASE_WRITES_PER_ADDRESS_BURST": "100000"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = start_gateway(tmp_path_factory.mktemp("fuzz") / "data", env=LIMITS)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def tokens(gateway: GatewayProcess) -> dict[str, str]:
    authority = TokenAuthority(load_private_key(gateway.data_dir / "keys" /
                                                "token-signing.key"), SystemClock(), 3600)
    return {"citizen": authority.new_citizen().token,
            "staff": gateway.mint_agent_token("fuzz-officer")}


def check(response_status: int, body: object) -> None:
    assert response_status < 500, body
    if response_status >= 400:
        assert isinstance(body, dict) and set(body["error"]) == {"code", "message"}, body


@pytest.mark.parametrize("who", ["citizen", "staff"])
@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_error(case: schemathesis.Case, who: str, gateway: GatewayProcess,
                         tokens: dict[str, str], tmp_path: Path) -> None:
    response = case.call(base_url=gateway.url, timeout=10,
                         headers={"Authorization": f"Bearer {tokens[who]}"})
    try:
        body = response.json() if response.status_code >= 400 else None
    except ValueError:
        raise AssertionError(f"{case.method} {case.formatted_path} {case.query!r} -> "
                             f"{response.status_code} {response.text[:300]!r}") from None
    check(response.status_code, body)
    assert "Traceback" not in gateway.log()
