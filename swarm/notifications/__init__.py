"""Notifications: who hears of a ticket event, in the app and by e-mail (docs/notifications.md).

``kinds.py`` is pure (who, for which kind); ``capture.py`` writes the rows in the event's
transaction; ``service.py`` reads, marks read and keeps preferences; ``mail.py`` renders mail.
"""
