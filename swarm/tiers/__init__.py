"""Tiered mode (pure): tiers and limits, TieredPolicy, paused clocks, vendors, mode assignment."""
