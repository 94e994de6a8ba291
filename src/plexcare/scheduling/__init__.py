"""Scheduling domain: availability, booking policy and waitlist order (pure, no database).

The storage-backed booking service calls these modules; they never read a clock or a table.
"""
