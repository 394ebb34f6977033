"""LLM mode against extractive on the dev set: captured passages, reviewed replies, a replay."""
