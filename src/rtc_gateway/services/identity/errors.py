"""Why a login failed: a short code for the page (``?auth_error=CODE``), never a secret."""


class LoginFailed(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        """For the log: what was wrong, never a token or a claim value."""


STATE_INVALID = "state_invalid"
PROVIDER_ERROR = "provider_error"
ACCESS_DENIED = "access_denied"
TOKEN_EXCHANGE = "token_exchange_failed"
ID_TOKEN_INVALID = "id_token_invalid"
ACR_REFUSED = "acr_refused"
USERINFO_INVALID = "userinfo_invalid"
UNAVAILABLE = "provider_unavailable"
STAFF_CLAIMS_REFUSED = "staff_claims_refused"
"""The staff provider vouched for someone whose claims make no valid staff profile."""
