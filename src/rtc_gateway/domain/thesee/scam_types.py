"""The six scam types of THESEE, each with its own structured details and checks.

A filing's ``details`` object is decoded with the struct of its ``scam_type``; unknown
fields are refused. Some details are identifiers too (a blackmailer's pseudonyms, a
ransom wallet, a shop's URL): :func:`detail_identifiers` hands them to the link index.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.thesee.identifiers import IdentifierKind

MAX_AMOUNT_EUR = 10_000_000
Text = Annotated[str, Meta(min_length=1, max_length=2000)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Names = Annotated[list[Name], Meta(max_length=20)]
Amount = Annotated[float, Meta(ge=0, le=MAX_AMOUNT_EUR)]


class ScamType(StrEnum):
    ACCOUNT_HACKING = "account_hacking"
    BLACKMAIL = "blackmail"
    RANSOMWARE = "ransomware"
    ROMANCE_SCAM = "romance_scam"
    CLASSIFIED_AD_SCAM = "classified_ad_scam"
    FRAUDULENT_SHOP = "fraudulent_shop"


class Details(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    def check(self, today: date) -> None:
        """Refuse what the types alone cannot (dates in the future, ...)."""
        return None


class Payment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    amount_eur: Amount
    date: date
    method: Literal["card", "transfer", "cash", "crypto", "gift_card", "other"] | None = None


def _not_future(value: date, today: date, what: str) -> None:
    if value > today:
        raise BadRequest(f"{what} is in the future")


class AccountHacking(Details, kw_only=True, frozen=True):
    account: Name
    """The account taken over (an address, a user name)."""
    service: Name
    """The messaging, social network, bank or shop where it lives."""
    hacked_on: date
    what_was_done: Text

    def check(self, today: date) -> None:
        _not_future(self.hacked_on, today, "hacked_on")


class Blackmail(Details, kw_only=True, frozen=True):
    channel: Literal["email", "sms", "social_network", "messaging", "phone", "other"]
    pseudonyms: Names = msgspec.field(default_factory=list)
    demanded_amount_eur: Amount
    payment_details: Annotated[str, Meta(max_length=2000)] | None = None
    """What the blackmailer asked to be paid with (wallet, voucher, account)."""


class Ransomware(Details, kw_only=True, frozen=True):
    ransom_note: Annotated[str, Meta(min_length=1, max_length=10_000)]
    wallets: Names = msgspec.field(default_factory=list)
    affected_systems: Annotated[list[Name], Meta(min_length=1, max_length=50)]


class RomanceScam(Details, kw_only=True, frozen=True):
    profiles: Annotated[list[Name], Meta(min_length=1, max_length=20)]
    """Names or pseudonyms of the profiles the victim talked to."""
    platforms: Annotated[list[Name], Meta(min_length=1, max_length=20)]
    amounts_over_time: Annotated[list[Payment], Meta(max_length=200)] = \
        msgspec.field(default_factory=list)

    def check(self, today: date) -> None:
        for payment in self.amounts_over_time:
            _not_future(payment.date, today, "a payment date")


class ClassifiedAdScam(Details, kw_only=True, frozen=True):
    ad_url: Name
    platform: Name
    seller_ids: Annotated[list[Name], Meta(min_length=1, max_length=20)]


class FraudulentShop(Details, kw_only=True, frozen=True):
    shop_url: Name
    order_reference: Name | None = None
    amount_eur: Amount
    payment: Literal["card", "transfer", "paypal", "crypto", "other"]
    ordered_on: date | None = None

    def check(self, today: date) -> None:
        if self.ordered_on is not None:
            _not_future(self.ordered_on, today, "ordered_on")


DETAIL_TYPES: dict[ScamType, type[Details]] = {
    ScamType.ACCOUNT_HACKING: AccountHacking,
    ScamType.BLACKMAIL: Blackmail,
    ScamType.RANSOMWARE: Ransomware,
    ScamType.ROMANCE_SCAM: RomanceScam,
    ScamType.CLASSIFIED_AD_SCAM: ClassifiedAdScam,
    ScamType.FRAUDULENT_SHOP: FraudulentShop,
}


def parse_scam_type(name: str) -> ScamType:
    try:
        return ScamType(name)
    except ValueError:
        raise BadRequest(f"unknown scam_type {name[:40]!r}; one of "
                         + ", ".join(t.value for t in ScamType)) from None


def parse_details(scam_type: ScamType, raw: Any, today: date) -> Details:
    try:
        details = msgspec.convert(raw if raw is not None else {}, DETAIL_TYPES[scam_type])
    except msgspec.ValidationError as error:
        raise BadRequest(f"details of a {scam_type.value}: {error}"[:300]) from None
    details.check(today)
    return details


def detail_identifiers(details: Details) -> dict[IdentifierKind, list[str]]:
    """The identifiers a type's details carry, for the link index."""
    match details:
        case Blackmail():
            return {IdentifierKind.PSEUDONYM: list(details.pseudonyms)}
        case Ransomware():
            return {IdentifierKind.WALLET: list(details.wallets)}
        case RomanceScam():
            return {IdentifierKind.PSEUDONYM: list(details.profiles)}
        case ClassifiedAdScam():
            # the ad's URL is the platform's domain, shared by every honest seller
            return {IdentifierKind.PSEUDONYM: list(details.seller_ids)}
        case FraudulentShop():
            return {IdentifierKind.DOMAIN: [details.shop_url]}
    return {}


def detail_loss_eur(details: Details) -> float:
    """What the details themselves say was lost (a shop order, romance payments)."""
    match details:
        case FraudulentShop():
            return details.amount_eur
        case RomanceScam():
            return sum(p.amount_eur for p in details.amounts_over_time)
    return 0.0
