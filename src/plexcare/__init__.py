"""plexcare: decision support and care for lumbosacral plexopathy."""

__version__ = "0.1.0"

__all__ = ["__version__"]
