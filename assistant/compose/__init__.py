"""Composing the answer: extractive (default), LLM rewrite, verification, streaming."""
