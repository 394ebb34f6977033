"""One frozen settings object; `Settings.from_env()` is the only reader of PHT_* variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.errors import ConfigError

__all__ = ["Settings"]

_MODES = ("extractive", "llm")
_LLM_VERIFY = ("deterministic", "judge")


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"Expected a yes/no value, got {value!r}: use 1 or 0.")


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number.") from None


def _float(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number.") from None


@dataclass(frozen=True)
class Settings:
    """Every tunable of PHT Guide, with its default."""

    corpus_dir: Path = Path("corpus")
    """Where the curated documents and manifest.yaml live (PHT_CORPUS_DIR)."""
    chroma_path: Path = Path(".pht/chroma")
    """Embedded Chroma store (PHT_CHROMA_PATH)."""
    chroma_host: str | None = None
    """Use a Chroma server at this host instead of the embedded store (PHT_CHROMA_HOST)."""
    chroma_port: int = 8000
    """Port of that Chroma server (PHT_CHROMA_PORT)."""
    collection: str = "pht_guidance"
    """Chroma collection name, 3-512 characters (PHT_COLLECTION)."""
    embedding_model: str | None = None
    """A local path or model name; None: the packaged all-MiniLM-L6-v2 (PHT_EMBEDDING_MODEL)."""
    mode: str = "extractive"
    """Answer composer: extractive or llm (PHT_MODE)."""
    llm_base_url: str | None = None
    """OpenAI-compatible server for LLM mode (PHT_LLM_BASE_URL)."""
    llm_model: str | None = None
    """Model name on that server (PHT_LLM_MODEL)."""
    llm_api_key: str | None = None
    """API key for that server; never logged (PHT_LLM_API_KEY)."""
    llm_timeout_s: float = 30.0
    """Seconds to wait for the LLM server before falling back (PHT_LLM_TIMEOUT)."""
    llm_verify: str = "deterministic"
    """LLM-mode checks: deterministic, or judge to add one entailment call to the same server
    (PHT_LLM_VERIFY)."""
    data_dir: Path = Path(".pht")
    """Where the SQLite answer log and feedback live (PHT_DATA_DIR)."""
    answer_log: bool = True
    """Log every answer to SQLite for quality review (PHT_ANSWER_LOG=0 turns it off)."""
    max_question_chars: int = 2000
    """Longer questions are rejected with InvalidQuestion (PHT_MAX_QUESTION_CHARS)."""
    top_k: int = 6
    """Passages retrieved per question after fusion (PHT_TOP_K)."""
    embed_batch_size: int = 16
    """Chunks per embedding batch at ingest; small batches are faster here (PHT_EMBED_BATCH)."""
    max_chunk_tokens: int = 256
    """Upper bound of a chunk in embedding-model tokens; the model truncates beyond 256."""
    retention_days: int = 30
    """Days that conversations and logged answers are kept (PHT_RETENTION_DAYS)."""
    review_password_hash: str | None = None
    """scrypt hash of the review app's password; never logged (PHT_REVIEW_PASSWORD_HASH)."""
    answer_words: int = 100
    """A patient answer stops adding sentences past this many words (PHT_ANSWER_WORDS)."""
    answer_sentences: int = 4
    """Corpus sentences in a patient answer, at most (PHT_ANSWER_SENTENCES)."""
    clinician_sentences: int = 8
    """Corpus sentences in a clinician answer, at most (PHT_CLINICIAN_SENTENCES)."""
    min_answer_cosine: float = 0.1
    """An answer needs a sentence with this cosine to the question (PHT_MIN_ANSWER_COSINE)..."""
    min_answer_overlap: float = 0.3
    """...or with this share of its specific words; else not_covered (PHT_MIN_ANSWER_OVERLAP)."""
    max_document_bytes: int = 10_000_000
    """Largest corpus file, and largest text read from one, in bytes (PHT_MAX_DOCUMENT_BYTES)."""
    max_corpus_bytes: int = 100_000_000
    """Largest sum of all corpus files, in bytes (PHT_MAX_CORPUS_BYTES)."""
    max_manifest_bytes: int = 1_000_000
    """Largest manifest.yaml, file and YAML aliases expanded, in bytes (PHT_MAX_MANIFEST_BYTES)."""
    chroma_timeout_s: float = 5.0
    """Seconds any call to a Chroma server may take while answering (PHT_CHROMA_TIMEOUT)."""
    chroma_ingest_timeout_s: float = 120.0
    """Seconds any call to a Chroma server may take during ingest (PHT_CHROMA_INGEST_TIMEOUT)."""
    index_check_s: float = 5.0
    """How often a running assistant checks the index for a new corpus (PHT_INDEX_CHECK)."""
    max_history_turn_chars: int = 8000
    """Longer history turns are rejected with InvalidQuestion (PHT_MAX_HISTORY_TURN_CHARS)."""
    max_history_turns: int = 100
    """More earlier turns are rejected with InvalidQuestion (PHT_MAX_HISTORY_TURNS)."""
    ingest_lock_wait_s: float = 30.0
    """Seconds a second pht-ingest waits for the one writing to the store (PHT_INGEST_LOCK_WAIT)."""

    def __post_init__(self) -> None:
        if self.mode not in _MODES:
            raise ConfigError(f"PHT_MODE={self.mode!r}: use one of {', '.join(_MODES)}.")
        if self.llm_verify not in _LLM_VERIFY:
            raise ConfigError(
                f"PHT_LLM_VERIFY={self.llm_verify!r}: use one of {', '.join(_LLM_VERIFY)}."
            )
        if not 3 <= len(self.collection) <= 512:
            raise ConfigError(
                f"PHT_COLLECTION={self.collection!r}: a collection name needs 3-512 characters."
            )
        if self.max_question_chars < 10:
            raise ConfigError("PHT_MAX_QUESTION_CHARS must be at least 10.")
        if self.top_k < 1:
            raise ConfigError("PHT_TOP_K must be at least 1.")
        if self.retention_days < 1:
            raise ConfigError("PHT_RETENTION_DAYS must be at least 1.")
        if self.max_chunk_tokens > 256:
            raise ConfigError("max_chunk_tokens cannot exceed the model's 256-token window.")
        if min(self.answer_words, self.answer_sentences, self.clinician_sentences) < 1:
            raise ConfigError(
                "PHT_ANSWER_WORDS, PHT_ANSWER_SENTENCES and PHT_CLINICIAN_SENTENCES must be >= 1."
            )
        for name in ("min_answer_cosine", "min_answer_overlap"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"PHT_{name.upper()} must be between 0 and 1.")
        for name in ("max_document_bytes", "max_corpus_bytes", "max_manifest_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"PHT_{name.upper()} must be at least 1.")
        if self.ingest_lock_wait_s < 0:
            raise ConfigError("PHT_INGEST_LOCK_WAIT cannot be negative.")
        for name in ("chroma_timeout_s", "chroma_ingest_timeout_s", "index_check_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"PHT_{name.upper().removesuffix('_S')} must be above 0.")
        if min(self.max_history_turn_chars, self.max_history_turns) < 1:
            raise ConfigError("PHT_MAX_HISTORY_TURN_CHARS and PHT_MAX_HISTORY_TURNS must be >= 1.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Return settings read from PHT_* variables (os.environ by default)."""
        env = os.environ if env is None else env
        kwargs: dict[str, object] = {}
        paths = {
            "PHT_CORPUS_DIR": "corpus_dir",
            "PHT_CHROMA_PATH": "chroma_path",
            "PHT_DATA_DIR": "data_dir",
        }
        for var, field in paths.items():
            if env.get(var):
                kwargs[field] = Path(env[var])
        strings = {
            "PHT_CHROMA_HOST": "chroma_host",
            "PHT_COLLECTION": "collection",
            "PHT_EMBEDDING_MODEL": "embedding_model",
            "PHT_MODE": "mode",
            "PHT_LLM_BASE_URL": "llm_base_url",
            "PHT_LLM_MODEL": "llm_model",
            "PHT_LLM_API_KEY": "llm_api_key",
            "PHT_REVIEW_PASSWORD_HASH": "review_password_hash",
            "PHT_LLM_VERIFY": "llm_verify",
        }
        for var, field in strings.items():
            if env.get(var):
                kwargs[field] = env[var].strip()
        ints = {
            "PHT_CHROMA_PORT": "chroma_port",
            "PHT_MAX_QUESTION_CHARS": "max_question_chars",
            "PHT_TOP_K": "top_k",
            "PHT_RETENTION_DAYS": "retention_days",
            "PHT_EMBED_BATCH": "embed_batch_size",
            "PHT_MAX_DOCUMENT_BYTES": "max_document_bytes",
            "PHT_MAX_CORPUS_BYTES": "max_corpus_bytes",
            "PHT_MAX_MANIFEST_BYTES": "max_manifest_bytes",
            "PHT_MAX_HISTORY_TURN_CHARS": "max_history_turn_chars",
            "PHT_MAX_HISTORY_TURNS": "max_history_turns",
            "PHT_ANSWER_WORDS": "answer_words",
            "PHT_ANSWER_SENTENCES": "answer_sentences",
            "PHT_CLINICIAN_SENTENCES": "clinician_sentences",
        }
        for var, field in ints.items():
            if env.get(var):
                kwargs[field] = _int(var, env[var])
        if env.get("PHT_LLM_TIMEOUT"):
            try:
                kwargs["llm_timeout_s"] = float(env["PHT_LLM_TIMEOUT"])
            except ValueError:
                raise ConfigError(
                    f"PHT_LLM_TIMEOUT={env['PHT_LLM_TIMEOUT']!r} is not a number."
                ) from None
        if env.get("PHT_INGEST_LOCK_WAIT"):
            try:
                kwargs["ingest_lock_wait_s"] = float(env["PHT_INGEST_LOCK_WAIT"])
            except ValueError:
                raise ConfigError("PHT_INGEST_LOCK_WAIT is not a number.") from None
        for var, field in (
            ("PHT_MIN_ANSWER_COSINE", "min_answer_cosine"),
            ("PHT_MIN_ANSWER_OVERLAP", "min_answer_overlap"),
            ("PHT_CHROMA_TIMEOUT", "chroma_timeout_s"),
            ("PHT_CHROMA_INGEST_TIMEOUT", "chroma_ingest_timeout_s"),
            ("PHT_INDEX_CHECK", "index_check_s"),
        ):
            if env.get(var):
                kwargs[field] = _float(var, env[var])
        if "PHT_ANSWER_LOG" in env:
            kwargs["answer_log"] = _flag(env["PHT_ANSWER_LOG"])
        return cls(**kwargs)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        # The API key must never reach a log line or an error message.
        secret = ("llm_api_key", "review_password_hash")
        shown = {k: v for k, v in self.__dict__.items() if k not in secret}
        shown["llm_api_key"] = "***" if self.llm_api_key else None
        shown["review_password_hash"] = "***" if self.review_password_hash else None
        inner = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"Settings({inner})"
