"""``rtc-gateway token revoke --database-url`` reaches every node sharing PostgreSQL
within about one sync interval."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rtc_gateway.adapters.postgres.revocation_store import PostgresRevocationStore
from rtc_gateway.domain.errors import Unauthorized
from rtc_gateway.security.revocation_list import RevocationList
from rtc_gateway.security.revocation_sync import RevocationSync
from rtc_gateway.security.token_keys import load_token_keys
from rtc_gateway.security.tokens import TokenAuthority
from tests.security.test_tokens import OFFICER, real_time
from tests.support.databases import throwaway_database

INTERVAL_S = 0.2


def revoke(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTC_GATEWAY_")}
    return subprocess.run([sys.executable, "-m", "rtc_gateway", "token", "revoke", *args],
                          capture_output=True, text=True, timeout=60, env=env)


async def test_a_revocation_reaches_two_nodes_within_seconds(
        database_url: str, tmp_path: Path) -> None:
    async with throwaway_database(database_url, "revoke") as url:
        keys = load_token_keys(tmp_path / "keys" / "token-signing.key")
        nodes: list[tuple[TokenAuthority, RevocationSync]] = []
        ended: list[int] = []
        for n in range(2):
            revocations = RevocationList()
            tokens = TokenAuthority(keys.signing, real_time(), 3600, revocations)
            sync = RevocationSync(PostgresRevocationStore(url), revocations, real_time(),
                                  INTERVAL_S)
            sync.on_staff_revoked = lambda n=n: ended.append(n)  # type: ignore[misc]
            await sync.start()
            nodes.append((tokens, sync))
        try:
            held = nodes[0][0].mint_agent(OFFICER, 600).token
            other = nodes[1][0].mint_agent(OFFICER, 600).token
            assert all(tokens.verify_agent(held) == OFFICER for tokens, _ in nodes)
            done = await asyncio.to_thread(
                revoke, "--data-dir", str(tmp_path), "--database-url", url,
                "--token", held)
            assert done.returncode == 0, done.stderr
            loop = asyncio.get_running_loop()
            started = loop.time()
            while sorted(set(ended)) != [0, 1]:
                assert loop.time() - started < 5, "a node did not apply the revocation"
                await asyncio.sleep(0.05)
            for tokens, _ in nodes:
                with pytest.raises(Unauthorized, match="revoked"):
                    tokens.verify_agent(held)
                assert tokens.verify_agent(other) == OFFICER, "one token, not its holder"
            everyone = await asyncio.to_thread(
                revoke, "--data-dir", str(tmp_path), "--database-url", url, "--id", "P-1")
            assert everyone.returncode == 0, everyone.stderr
            await asyncio.sleep(INTERVAL_S * 3)
            for tokens, _ in nodes:
                with pytest.raises(Unauthorized, match="revoked"):
                    tokens.verify_agent(other)
        finally:
            for _, sync in nodes:
                await sync.close()


def test_revoke_says_so_when_the_database_is_unreachable(tmp_path: Path) -> None:
    result = revoke("--data-dir", str(tmp_path), "--database-url",
                    "postgresql://postgres:s3cret@127.0.0.1:1/x", "--id", "P-1")
    assert result.returncode == 1
    assert "unreachable" in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
