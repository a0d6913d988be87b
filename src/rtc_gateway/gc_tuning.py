"""The garbage collector's settings for a long-running server.

With CPython 3.11's defaults (700, 10, 10) the collector ran a full collection about
twice a second under chat load, each pausing the event loop for tens of milliseconds
as the heap of open conversations grew: a quarter of the CPU and most of the tail
latency (see docs/performance-chat.md). Objects alive once the gateway has started
(modules, handlers, keys) are moved out of the collector's sight; young collections
run every 50,000 allocations instead of 700, and the oldest generation is examined
ten times less often. Cycles are still collected; reference counting frees the rest
at once, as before.
"""

import gc

SERVING_THRESHOLDS = (50_000, 20, 100)


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
