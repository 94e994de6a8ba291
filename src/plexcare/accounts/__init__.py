"""Accounts, roles and sign-in: who is asking, and what they may see."""
