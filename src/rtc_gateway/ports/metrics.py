"""What the services report about themselves (Prometheus in production)."""

from typing import Protocol


class ServiceMetrics(Protocol):
    def assignment_waited(self, seconds: float, priority: str) -> None: ...

    def message_relayed(self, seconds: float) -> None: ...

    def conversation_opened(self, priority: str) -> None: ...


class NoMetrics:
    def assignment_waited(self, seconds: float, priority: str) -> None:
        pass

    def message_relayed(self, seconds: float) -> None:
        pass

    def conversation_opened(self, priority: str) -> None:
        pass
