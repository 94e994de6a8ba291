"""Callback requests: a phone number, a preferred time and a reason, worked by the front desk."""
