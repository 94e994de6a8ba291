"""Patient education: plain-language pages about lumbosacral plexopathy, with their sources."""

from plexcare.education.pages import router

__all__ = ["router"]
