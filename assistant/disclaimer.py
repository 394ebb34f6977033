"""The fixed safety disclaimer: the one place its text lives."""

from __future__ import annotations

__all__ = ["DISCLAIMER"]

DISCLAIMER = (
    "PHT Guide gives general information from a small set of curated documents about proximal "
    "hamstring tendinopathy. It is not a diagnosis or a treatment plan and does not replace a "
    "doctor or physiotherapist who can examine you. Get urgent help for: numbness between the "
    "legs or new bladder or bowel trouble; a sudden pop with bruising; fever with a hot, red or "
    "swollen area; weakness or numbness that is getting worse; night pain with weight loss or "
    "past cancer; a swollen calf or breathlessness after surgery or travel; a fall and cannot "
    "bear weight; chest pain; thoughts of harming yourself."
)
