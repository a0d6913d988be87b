"""Identifiers checked and normalised: every spelling of one identifier gives one key."""

import pytest

from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.thesee.identifiers import (
    IdentifierKind,
    iban_checks,
    normalise_domain,
    normalise_email,
    normalise_iban,
    normalise_phone,
    normalise_pseudonym,
    normalise_wallet,
    normalised,
)


@pytest.mark.parametrize("spelling", [
    "FR76 3000 6000 0112 3456 7890 189", "fr7630006000011234567890189",
    " FR76-3000-6000-0112-3456-7890-189 ", "IBAN FR76 3000 6000 0112 3456 7890 189",
    "fr76.3000.6000.0112.3456.7890.189"])
def test_iban_spellings(spelling: str) -> None:
    assert normalise_iban(spelling) == "FR7630006000011234567890189"


@pytest.mark.parametrize("iban", ["DE89370400440532013000", "GB82WEST12345698765432",
                                  "BE68539007547034"])
def test_iban_mod_97_accepts_valid_ones(iban: str) -> None:
    assert iban_checks(iban)


@pytest.mark.parametrize("bad", ["FR7630006000011234567890188", "FR76", "1234567890123456",
                                 "FR76 3000 6000 0112 3456 7890 18é", ""])
def test_iban_refusals(bad: str) -> None:
    with pytest.raises(BadRequest):
        normalise_iban(bad)


@pytest.mark.parametrize(("url", "domain"), [
    ("HTTPS://WWW.Shop-Arnaque.FR/", "shop-arnaque.fr"),
    ("shop-arnaque.fr.", "shop-arnaque.fr"),
    ("//shop-arnaque.fr///", "shop-arnaque.fr"),
    ("http://paiement.shop-arnaque.fr:8443/x?y=1#z", "shop-arnaque.fr"),
    ("https://user:pw@www.shop-arnaque.fr/", "shop-arnaque.fr"),
    ("https://boutique.example.co.uk/", "example.co.uk"),
    ("https://victime.blogspot.com/", "victime.blogspot.com"),
    ("https://www.exämple.com/", "xn--exmple-cua.com"),
    ("http://shop-arnaque.fr.evil.com/", "evil.com"),
    ("http://192.0.2.7/login", "192.0.2.7"),
])
def test_url_registered_domain(url: str, domain: str) -> None:
    assert normalise_domain(url) == domain


@pytest.mark.parametrize("bad", ["http://co.uk/", "not a url", "http://", "https://a b.fr"])
def test_url_refusals(bad: str) -> None:
    with pytest.raises(BadRequest):
        normalise_domain(bad)


@pytest.mark.parametrize("phone", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678",
                                   "+33 (0)6.12.34.56.78", "06-12-34-56-78"])
def test_french_phone_spellings(phone: str) -> None:
    assert normalise_phone(phone) == "+33612345678"


def test_foreign_phones_need_their_prefix() -> None:
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("0044 20 7946 0958") == "+442079460958"
    with pytest.raises(BadRequest):
        normalise_phone("12")


def test_emails_wallets_pseudonyms() -> None:
    assert normalise_email(" MailTo:Jean.Dupont@EXAMPLE.fr ") == "jean.dupont@example.fr"
    assert normalise_email("<Strasse@Bücher.DE>") == "strasse@xn--bcher-kva.de"
    with pytest.raises(BadRequest):
        normalise_email("jean.dupont.example.fr")
    assert normalise_wallet("0xABCDEF0123456789abcdef0123456789ABCDEF01") == \
        "0xabcdef0123456789abcdef0123456789abcdef01"
    assert normalise_wallet("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ") == \
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    assert normalise_wallet("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") == \
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
    assert normalise_pseudonym("@ Love_Me   Tender ") == "love_me tender"
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "DarkHacker")
    assert normalise_pseudonym(fullwidth) == "darkhacker"


def test_duplicates_collapse_and_lists_are_bounded() -> None:
    assert normalised(IdentifierKind.PHONE, ["0612345678", "+33 6 12 34 56 78"]) == [
        "+33612345678"]
    with pytest.raises(BadRequest):
        normalised(IdentifierKind.PSEUDONYM, [f"p{i}" for i in range(21)])
