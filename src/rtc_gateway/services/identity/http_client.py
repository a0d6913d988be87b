"""One HTTP client session for the calls to the provider, opened on first use."""

import aiohttp

PROVIDER_TIMEOUT_S = 10.0


class ProviderHttp:
    def __init__(self, timeout_s: float = PROVIDER_TIMEOUT_S) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
