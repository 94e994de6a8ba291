"""The pure reasoning engine: a case and the knowledge base in, a localization out.

No I/O, clock or randomness here: the shell (CLI, web, storage) calls in with a validated `Case`
and a loaded `KnowledgeBase`.
"""

from plexcare.engine.assessment import Assessment, assess, assess_batch
from plexcare.engine.case import Case
from plexcare.engine.localization import Localization, localize

__all__ = ["Assessment", "Case", "Localization", "assess", "assess_batch", "localize"]
