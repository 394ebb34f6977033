"""Settings: one frozen object, read from PHT_* variables in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.settings import Settings


def test_defaults_match_the_design() -> None:
    settings = Settings.from_env({})
    assert settings.corpus_dir == Path("corpus")
    assert settings.chroma_path == Path(".pht/chroma")
    assert settings.collection == "pht_guidance"
    assert settings.mode == "extractive"
    assert settings.chroma_host is None and settings.embedding_model is None


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {"PHT_CHROMA_HOST": "127.0.0.1", "PHT_CHROMA_PORT": "9000", "PHT_MODE": "llm",
         "PHT_ANSWER_LOG": "0", "PHT_TOP_K": "4", "PHT_DATA_DIR": "/tmp/x"}
    )
    assert (settings.chroma_host, settings.chroma_port, settings.mode) == ("127.0.0.1", 9000, "llm")
    assert settings.answer_log is False and settings.top_k == 4
    assert settings.data_dir == Path("/tmp/x")


def test_answer_length_and_relevance_are_settings() -> None:
    settings = Settings.from_env(
        {"PHT_ANSWER_WORDS": "90", "PHT_ANSWER_SENTENCES": "3", "PHT_CLINICIAN_SENTENCES": "6",
         "PHT_MIN_ANSWER_COSINE": "0.4", "PHT_MIN_ANSWER_OVERLAP": "0.6"}
    )
    assert (settings.answer_words, settings.answer_sentences, settings.clinician_sentences) == (
        90, 3, 6,
    )
    assert (settings.min_answer_cosine, settings.min_answer_overlap) == (0.4, 0.6)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PHT_MODE": "magic"}, "PHT_MODE"),
        ({"PHT_COLLECTION": "ab"}, "3-512"),
        ({"PHT_CHROMA_PORT": "eighty"}, "PHT_CHROMA_PORT"),
        ({"PHT_ANSWER_LOG": "maybe"}, "yes/no"),
        ({"PHT_ANSWER_WORDS": "0"}, "PHT_ANSWER_WORDS"),
        ({"PHT_MIN_ANSWER_COSINE": "1.5"}, "PHT_MIN_ANSWER_COSINE"),
        ({"PHT_MIN_ANSWER_OVERLAP": "half"}, "PHT_MIN_ANSWER_OVERLAP"),
    ],
)
def test_bad_values_say_what_is_wrong(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_api_key_never_in_repr() -> None:
    settings = Settings.from_env({"PHT_LLM_API_KEY": "sk-secret-123"})
    assert "sk-secret-123" not in repr(settings)
    assert settings.llm_api_key == "sk-secret-123"


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().mode = "llm"  # type: ignore[misc]
