"""Notifications: iCalendar invitations, message text and the senders that deliver them."""
