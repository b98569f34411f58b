"""Constants shared by the matching tests (a uniquely named module: conftest is not importable)."""

from datetime import UTC, datetime

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NETWORKING, VPN, DNS, FIREWALL, ASA, PRINTING, EXCEL = 1, 2, 3, 4, 5, 6, 7
