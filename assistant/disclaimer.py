"""The fixed safety disclaimer: the one place its text lives."""

from __future__ import annotations

__all__ = ["DISCLAIMER"]

DISCLAIMER = (
    "PHT Guide gives general information from a small set of curated documents about proximal "
    "hamstring tendinopathy. It is not a diagnosis or a treatment plan and does not replace a "
    "doctor or physiotherapist who can examine you. If you have numbness in the groin or saddle "
    "area, new bladder or bowel problems, a sudden pop with bruising, fever, or weakness that is "
    "getting worse, seek urgent medical care."
)
