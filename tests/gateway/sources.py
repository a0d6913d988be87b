"""Clients that connect from a chosen loopback address (127.0.0.2, ...), as another
citizen's device would, so per-address limits can be seen from both sides."""

from __future__ import annotations

import contextlib
from typing import Any

import aiohttp
import socketio

from tests.support.sio_client import RecordingClient


class ClientFrom(RecordingClient):
    def __init__(self, url: str, namespace: str, source: str) -> None:
        super().__init__(url, namespace)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(source, 0), force_close=True))
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self._session)
        self.sio.on("*", self._record, namespace=namespace)

    async def disconnect(self) -> None:
        await super().disconnect()
        await self._session.close()


async def connect_error(client: RecordingClient, auth: dict[str, Any] | None) -> dict[str, Any]:
    """The CONNECT_ERROR payload of a refused connect (fails if it was accepted)."""
    errors: list[Any] = []
    client.sio.on("connect_error", errors.append, namespace=client.namespace)
    try:
        await client.connect(auth)
    except socketio.exceptions.ConnectionError:
        pass
    finally:
        await client.disconnect()
    assert errors, "the connection should have been refused"
    assert isinstance(errors[0], dict), errors[0]
    return errors[0]


async def connect_outcome(url: str, namespace: str, auth: dict[str, Any] | None) -> str:
    """``ok``, or the code of the CONNECT_ERROR; the client is disconnected either way."""
    client = RecordingClient(url, namespace)
    errors: list[Any] = []
    client.sio.on("connect_error", errors.append, namespace=namespace)
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await client.connect(auth)
    await client.disconnect()
    return str(errors[0]["code"]) if errors else "ok"
