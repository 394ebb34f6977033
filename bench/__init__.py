"""`pht-bench`: PHT Guide's speed, measured the way its users feel it.

Ingest throughput, warm ask latency by stage (next to the textbook LangChain pipeline and the
one-query-embedding floor), cold start, retrieval cost and memory as the corpus grows, and the
optional ONNX embedding backend. `bench.cli.main` runs them; the other modules each measure one.
"""

from __future__ import annotations

__all__: list[str] = []
