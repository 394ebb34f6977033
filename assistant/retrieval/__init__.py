"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank, typo tolerant.

`retrieve(search, request, query)` is the pipeline's stage; `PHTRetriever` offers the same search
to LangChain users as a `BaseRetriever`.
"""
