"""The OpenID provider as the gateway knows it: discovery, JWKS, and signed-JWT checks.

Signatures are checked by joserfc against the provider's published keys, ES256 and
RS256 only (``alg: none`` and symmetric algorithms are refused). A ``kid`` not in the
cached key set makes one refetch of the JWKS, at most once per ``refetch_interval_s``;
a key still unknown after that is refused.
"""

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from rtc_gateway.services.identity.errors import ID_TOKEN_INVALID, UNAVAILABLE, LoginFailed

log = logging.getLogger(__name__)

SIGNING_ALGORITHMS = ("ES256", "RS256")
MAX_DOCUMENT_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    token_auth_methods: tuple[str, ...]
    signed_userinfo: bool
    """The provider signs its userinfo answers: a plain JSON one is then refused."""

    @classmethod
    def parse(cls, expected_issuer: str, document: Mapping[str, Any]) -> "ProviderMetadata":
        if document.get("issuer") != expected_issuer:
            raise LoginFailed(UNAVAILABLE, "discovery issuer does not match the configured one")
        try:
            return cls(
                issuer=expected_issuer,
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                userinfo_endpoint=_optional(document.get("userinfo_endpoint")),
                end_session_endpoint=_optional(document.get("end_session_endpoint")),
                token_auth_methods=tuple(map(str, document.get(
                    "token_endpoint_auth_methods_supported", ["client_secret_basic"]))),
                signed_userinfo=bool(document.get("userinfo_signing_alg_values_supported")))
        except KeyError as missing:
            raise LoginFailed(UNAVAILABLE, f"discovery lacks {missing}") from None


def _optional(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


class OidcProvider:
    def __init__(self, issuer: str, http: Callable[[], aiohttp.ClientSession],
                 monotonic: Callable[[], float], refetch_interval_s: float = 60.0) -> None:
        self.issuer = issuer.rstrip("/")
        self._http = http
        self._monotonic = monotonic
        self._refetch_interval_s = refetch_interval_s
        self._metadata: ProviderMetadata | None = None
        self._keys: KeySet | None = None
        self._keys_fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            document = await self.get_json(f"{self.issuer}/.well-known/openid-configuration")
            self._metadata = ProviderMetadata.parse(self.issuer, document)
        return self._metadata

    async def get_json(self, url: str, **kwargs: Any) -> Mapping[str, Any]:
        try:
            async with self._http().get(url, **kwargs) as response:
                if response.status != 200:
                    raise LoginFailed(UNAVAILABLE, f"provider answered {response.status}")
                body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LoginFailed(UNAVAILABLE, f"provider unreachable: {type(exc).__name__}") from None
        return json_object(body)

    async def verify(self, token: str, claims_check: jwt.JWTClaimsRegistry) -> dict[str, Any]:
        """The claims of a signed JWT from the provider, once signature and claims hold."""
        keys = await self._key_set(refresh=False)
        try:
            decoded = self._decode(token, keys)
        except InvalidKeyIdError:
            refreshed = await self._key_set(refresh=True)
            try:
                decoded = self._decode(token, refreshed)
            except InvalidKeyIdError:
                raise LoginFailed(ID_TOKEN_INVALID, "signed with an unknown key") from None
        try:
            claims_check.validate(decoded.claims)
        except JoseError as exc:
            raise LoginFailed(ID_TOKEN_INVALID, f"claims refused: {exc.error}") from None
        return dict(decoded.claims)

    @staticmethod
    def _decode(token: str, keys: KeySet) -> jwt.Token:
        try:
            return jwt.decode(token, keys, algorithms=list(SIGNING_ALGORITHMS))
        except InvalidKeyIdError:
            raise
        except (JoseError, ValueError, TypeError) as exc:
            detail = exc.error if isinstance(exc, JoseError) else type(exc).__name__
            raise LoginFailed(ID_TOKEN_INVALID, f"signature refused: {detail}") from None

    async def _key_set(self, refresh: bool) -> KeySet:
        async with self._lock:
            now = self._monotonic()
            recently = (self._keys_fetched_at is not None
                        and now - self._keys_fetched_at < self._refetch_interval_s)
            if self._keys is not None and (not refresh or recently):
                return self._keys
            metadata = await self.metadata()
            document = await self.get_json(metadata.jwks_uri)
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError):
                raise LoginFailed(UNAVAILABLE, "provider JWKS unreadable") from None
            self._keys_fetched_at = now
            log.info("provider keys fetched", extra={"keys": len(self._keys.keys)})
            return self._keys


def json_object(body: bytes) -> Mapping[str, Any]:
    if len(body) > MAX_DOCUMENT_BYTES:
        raise LoginFailed(UNAVAILABLE, "provider document too large")
    try:
        value = json.loads(body)
    except ValueError:
        raise LoginFailed(UNAVAILABLE, "provider document is not JSON") from None
    if not isinstance(value, dict):
        raise LoginFailed(UNAVAILABLE, "provider document is not an object")
    return value
