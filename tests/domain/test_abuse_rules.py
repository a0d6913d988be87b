"""Pure rules behind the abuse limits: bucket tables, address keys, blocks, surges."""

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.blocks import BlockList
from rtc_gateway.domain.rate_limit import BucketTable, TokenBucket
from rtc_gateway.domain.urgent_surge import SurgeDetector


def test_a_bucket_is_full_once_refilled() -> None:
    bucket = TokenBucket.full(2.0, 4.0, now=0.0)
    assert bucket.try_take(0.0, 4.0)
    assert not bucket.is_full(1.9)
    assert bucket.is_full(2.0)


def test_the_table_forgets_refilled_buckets_but_keeps_held_ones() -> None:
    held = {"held"}
    table = BucketTable(1.0, 2.0, held=held.__contains__, sweep_every_s=10.0)
    for key in ("idle", "busy", "held"):
        assert table.try_take(key, 0.0, 2.0)
    table.bucket("late", 1.0)
    assert len(table) == 4, "no sweep before sweep_every_s"
    assert table.try_take("busy", 9.0, 2.0)
    table.bucket("new", 10.5)
    assert len(table) == 3, "'idle' and 'late' refilled and were forgotten"
    assert not table.try_take("busy", 10.5, 2.0), "'busy' kept its state"
    assert table.bucket("held", 10.5).tokens == 0.0


def test_the_table_stays_bounded_under_a_spray_of_keys() -> None:
    table = BucketTable(5.0, 50.0)
    for step in range(100_000):
        table.try_take(f"10.{step // 65536}.{step // 256 % 256}.{step % 256}", step * 0.001)
    assert len(table) <= 10_500, "about the keys of one sweep interval (10 s at 1,000/s)"


def test_address_keys() -> None:
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("unix-socket") == "unix-socket"


def test_blocks_end_with_their_time_and_are_never_shortened() -> None:
    blocks = BlockList()
    blocks.block("c_1", until=10.0)
    blocks.block("c_1", until=5.0)
    assert blocks.blocked_until("c_1", 9.0) == 10.0
    assert blocks.blocked_until("c_1", 10.0) is None
    assert list(blocks.active(10.0)) == []


def test_a_surge_alarms_once_per_window() -> None:
    surge = SurgeDetector(threshold=3, window_s=10.0)
    assert surge.opened(0.0) is None
    assert surge.opened(1.0) is None
    assert surge.opened(2.0) == 3
    assert surge.opened(3.0) is None, "quiet for a window"
    assert surge.count(11.5) == 2
    assert surge.opened(12.0) == 3, "a new window, still a surge"
    assert surge.count(100.0) == 0
