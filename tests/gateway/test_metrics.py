"""The relay-latency histogram counts without a lock; its exposition is Prometheus's."""

from rtc_gateway.gateway.metrics import GatewayMetrics


def test_relay_latencies_land_in_cumulative_buckets() -> None:
    metrics = GatewayMetrics()
    for seconds in (0.0001, 0.001, 0.0015, 0.3, 7.0):
        metrics.message_relayed(seconds)
    body = metrics.exposition()
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
             for line in body.decode().splitlines() if line.startswith("rtc_message_relay")}
    assert lines['rtc_message_relay_seconds_bucket{le="0.0005"}'] == 1
    assert lines['rtc_message_relay_seconds_bucket{le="0.001"}'] == 2, "a bound is inclusive"
    assert lines['rtc_message_relay_seconds_bucket{le="0.002"}'] == 3
    assert lines['rtc_message_relay_seconds_bucket{le="0.5"}'] == 4
    assert lines['rtc_message_relay_seconds_bucket{le="+Inf"}'] == 5
    assert lines["rtc_message_relay_seconds_count"] == 5
    assert abs(lines["rtc_message_relay_seconds_sum"] - 7.3026) < 1e-9
