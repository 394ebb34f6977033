"""The one language module: normalising, tokens and stems, sentences, negation, typos, lexicon.

Every word list lives once, in `lexicon/*.yaml`, read by `lexicon.py` through the strict loader.
"""
