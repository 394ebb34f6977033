"""The package's public names are a contract: changing them is a decision, not an accident."""

from __future__ import annotations

import assistant


def test_public_names_are_pinned() -> None:
    assert sorted(assistant.__all__) == sorted([
        "Assistant", "Answer", "Citation", "Settings", "build_assistant", "PHTError",
        "ConfigError", "CorpusError", "IndexNotReady", "InvalidQuestion", "ModelUnavailable",
        "ServerUnavailable",
    ])
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None


def test_importing_the_package_loads_no_model_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, assistant; "
        "print(any(m in sys.modules for m in ('torch', 'chromadb', 'sentence_transformers')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
