"""The SQLite advice subscription store: kept across reopenings, 0600, themes replaced."""

import stat
from datetime import UTC, datetime
from pathlib import Path

from rtc_gateway.adapters.sqlite.advice_subscriptions import SqliteSubscriptionStore
from rtc_gateway.domain.advice import Subscription

AT = datetime(2026, 12, 2, 8, 0, 0, 123000, tzinfo=UTC)


async def test_subscriptions_are_kept_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "advice.db"
    store = SqliteSubscriptionStore(path)
    await store.open()
    await store.put(Subscription("c1", frozenset({"arnaques", "mineurs"}), AT))
    await store.put(Subscription("c2", frozenset({"mineurs"}), AT))
    await store.put(Subscription("c1", frozenset({"arnaques"}), AT))
    await store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = SqliteSubscriptionStore(path)
    await again.open()
    assert await again.get("c1") == Subscription("c1", frozenset({"arnaques"}), AT)
    assert await again.subscribers("mineurs") == ["c2"]
    assert await again.subscribers("arnaques") == ["c1"]
    assert await again.get("nobody") is None
    await again.close()
