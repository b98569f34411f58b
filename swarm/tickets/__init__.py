"""The ticket lifecycle: use cases that change tickets and append their events."""
