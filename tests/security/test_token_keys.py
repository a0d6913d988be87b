"""Token-key rotation: tokens of the replaced key stay valid (unless dropped), and a node
sharing the key directory takes the new keys without a restart."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.domain.errors import Unauthorized
from rtc_gateway.security.token_keys import (
    TokenKeys,
    TokenKeyWatch,
    load_token_keys,
    previous_key_path,
    rotate_token_key,
)
from rtc_gateway.security.tokens import TokenAuthority
from tests.security.modes import mode
from tests.security.test_tokens import OFFICER, real_time


def node(key_path: Path) -> tuple[TokenAuthority, TokenKeyWatch]:
    """A node's authority on the shared key directory, and the watch that follows it."""
    keys = load_token_keys(key_path)
    authority = TokenAuthority(keys.signing, real_time(), 3600, previous_key=keys.previous)

    def apply(new: TokenKeys) -> None:
        authority.use_keys(new.signing, new.previous)

    return authority, TokenKeyWatch(key_path, 0.05, apply)


def test_a_rotation_keeps_the_previous_key_for_verifying_only(tmp_path: Path) -> None:
    key_path = tmp_path / "keys" / "token-signing.key"
    tokens, watch = node(key_path)
    before = tokens.mint_agent(OFFICER, 600).token
    rotate_token_key(key_path)
    assert watch.check() and not watch.check(), "one change, taken in once"
    after = tokens.mint_agent(OFFICER, 600).token
    assert tokens.verify_agent(before) == tokens.verify_agent(after) == OFFICER
    assert mode(previous_key_path(key_path)) == 0o600
    assert b"PRIVATE" not in previous_key_path(key_path).read_bytes()
    fresh, _ = node(key_path)  # a node started after the rotation accepts both as well
    assert fresh.verify_agent(before) == OFFICER
    rotate_token_key(key_path, keep_previous=False)
    watch.check()
    with pytest.raises(Unauthorized, match="invalid"):
        tokens.verify_agent(before)
    with pytest.raises(Unauthorized, match="invalid"):
        tokens.verify_agent(after)
    assert not previous_key_path(key_path).exists()


async def test_a_rotation_on_the_command_line_reaches_a_running_node(tmp_path: Path) -> None:
    keys_dir = tmp_path / "shared-keys"
    key_path = keys_dir / "token-signing.key"
    first, first_watch = node(key_path)
    second, second_watch = node(key_path)
    first_watch.start()
    second_watch.start()
    try:
        old = first.mint_agent(OFFICER, 600).token
        env = {k: v for k, v in os.environ.items() if not k.startswith("RTC_GATEWAY_")}
        result = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "rtc_gateway", "token", "rotate-key",
                             "--data-dir", str(tmp_path / "elsewhere")],
            capture_output=True, text=True, timeout=60,
            env={**env, "RTC_GATEWAY_KEYS_DIR": str(keys_dir)})
        assert result.returncode == 0, result.stderr
        assert "stay valid" in result.stdout
        new_key = load_token_keys(key_path).signing
        for _ in range(100):
            await asyncio.sleep(0.05)
            minted = second.mint_agent(OFFICER, 600).token
            if _signed_by(new_key, minted):
                break
        else:
            pytest.fail("the second node never signed with the rotated key")
        assert first.verify_agent(minted) == OFFICER
        assert second.verify_agent(old) == OFFICER
    finally:
        await first_watch.close()
        await second_watch.close()


def _signed_by(key: Ed25519PrivateKey, token: str) -> bool:
    """Whether ``key`` alone accepts ``token``."""
    try:
        TokenAuthority(key, real_time(), 3600).verify_agent(token)
    except Unauthorized:
        return False
    return True
