"""A small but real OpenID provider on loopback, for the login tests.

It serves discovery, JWKS, authorize (auto-approving, or answering an error), token,
userinfo (a signed JWT or plain JSON) and end_session over aiohttp, checks PKCE S256 and
the client's authentication, and signs with real ES256/RS256 keys (joserfc) that tests
can rotate, publish or keep unpublished. Tests choose the claims of the next tokens.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import ECKey, Key, KeySet, OctKey, RSAKey

REMOVE = object()
"""An override value that removes the claim."""

DEFAULT_IDENTITY = {
    "sub": "fc-sub-3f9a", "given_name": "Marie", "family_name": "Dupont",
    "birthdate": "1984-05-17", "gender": "female", "birthplace": "75056",
    "birthcountry": "99100", "email": "marie.dupont@example.fr",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_key(alg: str) -> Key:
    key: Key = ECKey.generate_key("P-256") if alg == "ES256" else RSAKey.generate_key(2048)
    key.ensure_kid()
    return key


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_jwt(claims: dict[str, Any], kid: str) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


class TestProvider:
    __test__ = False

    def __init__(self, client_id: str = "rtc-client",
                 client_secret: str = "loopback-provider-client-secret-0123456789",
                 auth_methods: tuple[str, ...] = ("client_secret_basic",),
                 signed_userinfo: bool = True) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.auth_methods = auth_methods
        self.signed_userinfo = signed_userinfo
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.alg = "ES256"
        self.signing_key = new_key("ES256")
        self.published: list[Key] = [self.signing_key]
        self.identity = dict(DEFAULT_IDENTITY)
        self.acr: str | None = "eidas1"
        self.id_token_overrides: dict[str, Any] = {}
        self.userinfo_overrides: dict[str, Any] = {}
        self.staff_claims: dict[str, Any] = {}
        """Claims of a staff directory (role, force, unit, ...) in both the ID token and
        userinfo: what the ministry's provider says of an officer."""
        self.sign_id_token_with_none = False
        self.sign_id_token_with_secret = False
        """HS256 with the client secret (FranceConnect v1's way, refused in v2)."""
        self.userinfo_as_json = False
        self.authorize_error: str | None = None
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.jwks_fetches = 0
        self.logouts: list[dict[str, str]] = []
        self._codes: dict[str, dict[str, str]] = {}
        self._access: dict[str, str] = {}
        self._runner: web.AppRunner | None = None

    def issue_staff_claims(self, **claims: Any) -> None:
        """From now on, tokens describe an officer: these claims, and no eIDAS level."""
        self.staff_claims = dict(claims)
        self.acr = None

    def rotate(self, *, alg: str = "ES256", publish: bool = True) -> Key:
        """Sign from now on with a new key, published in the JWKS or not."""
        self.alg = alg
        self.signing_key = new_key(alg)
        if publish:
            self.published.append(self.signing_key)
        return self.signing_key

    async def start(self) -> TestProvider:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        app.router.add_get("/userinfo", self._userinfo)
        app.router.add_get("/logout", self._end_session)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _discovery(self, request: web.Request) -> web.Response:
        document: dict[str, Any] = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "scopes_supported": ["openid", "given_name", "family_name", "birthdate", "email",
                                 "gender", "birthplace", "birthcountry"],
            "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "token_endpoint_auth_methods_supported": list(self.auth_methods),
        }
        if self.signed_userinfo:
            document["userinfo_signing_alg_values_supported"] = ["ES256", "RS256"]
        return web.json_response(document)

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response(KeySet(list(self.published)).as_dict())

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        self.authorize_requests.append(query)
        problems = [name for name, ok in (
            ("response_type", query.get("response_type") == "code"),
            ("client_id", query.get("client_id") == self.client_id),
            ("redirect_uri", bool(query.get("redirect_uri"))),
            ("scope", "openid" in query.get("scope", "").split()),
            ("state", bool(query.get("state"))),
            ("nonce", bool(query.get("nonce"))),
            ("code_challenge", bool(query.get("code_challenge"))),
            ("code_challenge_method", query.get("code_challenge_method") == "S256"),
        ) if not ok]
        if problems:
            return web.json_response({"error": "invalid_request", "bad": problems}, status=400)
        redirect = query["redirect_uri"]
        if self.authorize_error is not None:
            raise web.HTTPFound(f"{redirect}?" + urlencode({
                "error": self.authorize_error, "error_description": "Refus de l'usager",
                "state": query["state"]}))
        code = secrets.token_urlsafe(24)
        self._codes[code] = query
        raise web.HTTPFound(f"{redirect}?" + urlencode({"code": code, "state": query["state"]}))

    def _client_authenticated(self, request: web.Request, form: dict[str, str]) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic ") and "client_secret_basic" in self.auth_methods:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return user == self.client_id and password == self.client_secret
        if "client_secret_post" in self.auth_methods:
            return (form.get("client_id") == self.client_id
                    and form.get("client_secret") == self.client_secret)
        return False

    async def _token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.token_requests.append(form)
        if not self._client_authenticated(request, form):
            return web.json_response({"error": "invalid_client"}, status=401)
        authorized = self._codes.pop(form.get("code", ""), None)
        if authorized is None or form.get("redirect_uri") != authorized["redirect_uri"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = form.get("code_verifier", "")
        if b64(hashlib.sha256(verifier.encode()).digest()) != authorized["code_challenge"]:
            return web.json_response({"error": "invalid_grant", "why": "pkce"}, status=400)
        access_token = secrets.token_urlsafe(24)
        self._access[access_token] = authorized["nonce"]
        return web.json_response({"access_token": access_token, "token_type": "Bearer",
                                  "expires_in": 60,
                                  "id_token": self._id_token(authorized["nonce"])})

    def _claims(self, base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
        claims = {**base, **overrides}
        return {key: value for key, value in claims.items() if value is not REMOVE}

    def _id_token(self, nonce: str) -> str:
        now = int(time.time())
        base: dict[str, Any] = {
            "iss": self.url, "aud": self.client_id, "azp": self.client_id,
            "iat": now, "exp": now + 60, "nonce": nonce, "sub": self.identity["sub"],
            "given_name": self.identity["given_name"],
            "family_name": self.identity["family_name"],
        }
        if self.acr is not None:
            base["acr"] = self.acr
        claims = self._claims({**base, **self.staff_claims}, self.id_token_overrides)
        if self.sign_id_token_with_none:
            return unsigned_jwt(claims, str(self.signing_key.kid))
        if self.sign_id_token_with_secret:
            secret = OctKey.import_key(self.client_secret.encode())
            return jwt.encode({"alg": "HS256", "kid": self.signing_key.kid}, claims, secret,
                              algorithms=["HS256"])
        return self._sign(claims)

    def _sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": self.alg, "kid": self.signing_key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.signing_key, algorithms=[self.alg])

    async def _userinfo(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._access:
            return web.json_response({"error": "invalid_token"}, status=401)
        now = int(time.time())
        claims = self._claims({**self.identity, **self.staff_claims, "iss": self.url,
                               "aud": self.client_id, "iat": now, "exp": now + 60},
                              self.userinfo_overrides)
        if self.userinfo_as_json:
            return web.json_response(claims)
        return web.Response(body=self._sign(claims).encode(), content_type="application/jwt")

    async def _end_session(self, request: web.Request) -> web.StreamResponse:
        self.logouts.append(dict(request.query))
        return web.Response(text="déconnecté")
