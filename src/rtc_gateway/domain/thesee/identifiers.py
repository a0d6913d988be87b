"""The identifiers a victim gives (IBANs, URLs, phones, e-mails, wallets, pseudonyms),
checked and normalised so that two spellings of one identifier meet in the link index.

Each normalised identifier is a *link key* ``KIND:VALUE``: ``iban:FR7630006000011234567890189``,
``domain:example.co.uk`` (a URL's registered domain, from the Public Suffix List snapshot
bundled with ``tldextract``: never fetched), ``phone:+33612345678`` (E.164, region FR by
default), ``email:jean.dupont@example.fr`` (case-folded), ``wallet:...``, ``pseudonym:...``.
"""

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import urlsplit

import phonenumbers
import tldextract

from rtc_gateway.domain.errors import BadRequest

DEFAULT_REGION = "FR"
MAX_PER_KIND = 20
MAX_IDENTIFIER_CHARS = 300


class IdentifierKind(StrEnum):
    IBAN = "iban"
    DOMAIN = "domain"
    PHONE = "phone"
    EMAIL = "email"
    WALLET = "wallet"
    PSEUDONYM = "pseudonym"


_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                 include_psl_private_domains=True)
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_IBAN_NOISE = re.compile(r"[\s\-.]+")
_HOST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_WALLET = re.compile(r"^[A-Za-z0-9]{25,100}$")
_HEX_WALLET = re.compile(r"^0x[0-9a-fA-F]{40}$")
_SPACES = re.compile(r"\s+")


def _bounded(raw: str, what: str) -> str:
    text = raw.strip()
    if not text:
        raise BadRequest(f"an empty {what}")
    if len(text) > MAX_IDENTIFIER_CHARS:
        raise BadRequest(f"a {what} longer than {MAX_IDENTIFIER_CHARS} characters")
    return text


def iban_checks(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers
    (A=10 ... Z=35), and the whole number modulo 97 must be 1."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def normalise_iban(raw: str) -> str:
    iban = _IBAN_NOISE.sub("", _bounded(raw, "IBAN")).upper()
    if iban.startswith("IBAN"):
        iban = iban[4:]
    if not _IBAN.match(iban) or not iban_checks(iban):
        raise BadRequest(f"{raw.strip()[:40]!r} is not a valid IBAN (ISO 13616 check)")
    return iban


def _ascii_host(host: str) -> str:
    host = unicodedata.normalize("NFKC", host).strip().rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadRequest(f"{host[:60]!r} is not a host name") from None


def normalise_domain(raw: str) -> str:
    """The registered domain of a URL or bare host: scheme, ``www.``, port, path,
    query, trailing dots and slashes and letter case do not matter."""
    text = _bounded(raw, "URL")
    if "://" not in text:
        text = "http://" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        raise BadRequest(f"{raw.strip()[:60]!r} is not a URL") from None
    host = _ascii_host(host)
    if not host or not _HOST.match(host):
        raise BadRequest(f"{raw.strip()[:60]!r} is not a URL")
    parts = _extract(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    if not parts.suffix and host.count(".") == 3 and host.replace(".", "").isdigit():
        return host
    raise BadRequest(f"{raw.strip()[:60]!r} has no registered domain")


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    text = _bounded(raw, "phone number")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise BadRequest(f"{text[:40]!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise BadRequest(f"{text[:40]!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    text = unicodedata.normalize("NFKC", _bounded(raw, "e-mail address"))
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().strip("<>").casefold()
    if not _EMAIL.match(text):
        raise BadRequest(f"{raw.strip()[:60]!r} is not an e-mail address")
    local, _, host = text.rpartition("@")
    return f"{local}@{_ascii_host(host)}"


def normalise_wallet(raw: str) -> str:
    """Hexadecimal (0x...) and bech32 (bc1..., ltc1...) addresses are case-insensitive:
    lower-cased; base58 addresses are case-sensitive: kept."""
    text = _SPACES.sub("", _bounded(raw, "wallet address"))
    if _HEX_WALLET.match(text):
        return text.lower()
    if not _WALLET.match(text):
        raise BadRequest(f"{text[:40]!r} is not a wallet address")
    lowered = text.lower()
    if lowered.startswith(("bc1", "tb1", "ltc1")):
        return lowered
    return text


def normalise_pseudonym(raw: str) -> str:
    text = unicodedata.normalize("NFKC", _bounded(raw, "pseudonym")).lstrip("@").strip()
    if not text:
        raise BadRequest("an empty pseudonym")
    return _SPACES.sub(" ", text).casefold()


NORMALISERS = {
    IdentifierKind.IBAN: normalise_iban,
    IdentifierKind.DOMAIN: normalise_domain,
    IdentifierKind.PHONE: normalise_phone,
    IdentifierKind.EMAIL: normalise_email,
    IdentifierKind.WALLET: normalise_wallet,
    IdentifierKind.PSEUDONYM: normalise_pseudonym,
}


def normalised(kind: IdentifierKind, values: Iterable[str]) -> list[str]:
    """``values`` checked and normalised, duplicates dropped, first spelling order kept."""
    seen: dict[str, None] = {}
    for value in values:
        seen[NORMALISERS[kind](value)] = None
    if len(seen) > MAX_PER_KIND:
        raise BadRequest(f"at most {MAX_PER_KIND} identifiers of each kind")
    return list(seen)


def link_key(kind: IdentifierKind, value: str) -> str:
    return f"{kind.value}:{value}"
