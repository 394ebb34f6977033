"""The index: the embedding model and the Chroma store (ingest and the assistant both use these)."""
