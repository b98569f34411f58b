"""Reply tokens: a reply finds its ticket only through a token we signed."""

from __future__ import annotations

import pytest

from swarm.mail import tokens

SECRET = "s3cret"


def test_reply_address_round_trips_to_ticket_and_person() -> None:
    address = tokens.reply_address(SECRET, "help@example.org", 42, 7)
    assert address.startswith("help+r42.7.") and address.endswith("@example.org")
    assert tokens.read_reply_address(SECRET, address) == tokens.ReplyTo(42, 7)
    assert tokens.read_reply_address(SECRET, address.upper()) == tokens.ReplyTo(42, 7)


def test_existing_plus_part_of_support_address_is_replaced() -> None:
    address = tokens.reply_address(SECRET, "help+desk@example.org", 3, 4)
    assert address.startswith("help+r3.4.")


@pytest.mark.parametrize(
    "address",
    [
        "help@example.org",
        "help+r42.7.aaaaaaaaaaaaaaaa@example.org",
        "help+r43.7.{mac}@example.org",
        "help+r42.8.{mac}@example.org",
        "help+r0.7.{mac}@example.org",
        "not an address",
        "",
        "help+r42.7.{mac}",
    ],
)
def test_forged_or_altered_reply_addresses_are_refused(address: str) -> None:
    mac = tokens.reply_address(SECRET, "help@example.org", 42, 7).split(".")[2].split("@")[0]
    assert tokens.read_reply_address(SECRET, address.format(mac=mac)) is None


def test_reply_address_signed_with_another_secret_is_refused() -> None:
    address = tokens.reply_address("other", "help@example.org", 42, 7)
    assert tokens.read_reply_address(SECRET, address) is None


def test_message_ids_are_fresh_signed_and_found_in_references() -> None:
    first = tokens.message_id(SECRET, "example.org", 42, 7)
    second = tokens.message_id(SECRET, "example.org", 42, 7)
    assert first != second
    assert tokens.read_message_id(SECRET, first) == tokens.ReplyTo(42, 7)
    references = f"<abc@elsewhere.net> {first}\r\n <def@x.y>"
    assert tokens.read_references(SECRET, None, references) == tokens.ReplyTo(42, 7)
    assert tokens.read_references(SECRET, "<abc@elsewhere.net>", None) is None


def test_tampered_message_id_is_refused() -> None:
    value = tokens.message_id(SECRET, "example.org", 42, 7)
    assert tokens.read_message_id(SECRET, value.replace("swarm.42.", "swarm.41.")) is None
    assert tokens.read_message_id("other", value) is None
