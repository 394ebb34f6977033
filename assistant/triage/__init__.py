"""Decisions before and around retrieval: safety (red flags), scope, coverage."""
