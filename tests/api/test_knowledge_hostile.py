"""Queries a person may type into the knowledge base's search box (shared by the API tests)."""

HOSTILE_QUERIES = [
    "",
    " ",
    '"',
    '"unbalanced',
    "'",
    "(((",
    ")",
    "NEAR(vpn mtu)",
    "vpn AND OR NOT",
    "*",
    "vpn*",
    "title:vpn",
    "vpn:*",
    "!vpn & | <->",
    "'; DROP TABLE articles; --",
    "\\",
    "{{7*7}}",
    "x" * 201,
]
