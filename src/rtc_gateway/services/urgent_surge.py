"""Alarms supervisors when urgent openings surge (a flood of fake alerts, or a real
incident): at most one alarm per window, with the count that set it off."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.urgent_surge import SurgeDetector
from rtc_gateway.ports.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SurgeAlarm:
    count: int
    window_s: float
    at: datetime


class SurgeMetrics(Protocol):
    def urgent_surge(self) -> None: ...


class UrgentSurgeWatch:
    def __init__(self, detector: SurgeDetector, clock: Clock, metrics: SurgeMetrics,
                 alarm: Callable[[SurgeAlarm], None]) -> None:
        self._detector = detector
        self._clock = clock
        self._metrics = metrics
        self._alarm = alarm

    def opened(self, conversation: Conversation) -> None:
        if conversation.priority is not Priority.URGENT:
            return
        count = self._detector.opened(self._clock.monotonic())
        if count is None:
            return
        self._metrics.urgent_surge()
        log.warning("urgent surge", extra={"count": count,
                                           "window_s": self._detector.window_s})
        self._alarm(SurgeAlarm(count, self._detector.window_s, self._clock.now()))

    def in_window(self) -> int:
        return self._detector.count(self._clock.monotonic())
