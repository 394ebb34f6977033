"""The package's public names are a contract: changing them is a decision, not an accident."""

from __future__ import annotations

import assistant
from assistant import errors


def test_public_names_are_pinned() -> None:
    assert sorted(assistant.__all__) == sorted([
        "Assistant", "Answer", "Citation", "Settings", "build_assistant", "PHTError",
        "ConfigError", "CorpusError", "IndexNotReady", "InvalidQuestion", "ModelUnavailable",
        "ServerUnavailable", "RulesError", "StoreError", "EvalCaseError",
    ])


def test_every_public_name_resolves_to_what_it_names() -> None:
    from assistant.pipeline import Assistant
    from assistant.settings import Settings
    from assistant.types import Answer, Citation

    assert assistant.Assistant is Assistant
    assert assistant.Settings is Settings
    assert assistant.Answer is Answer and assistant.Citation is Citation
    assert callable(assistant.build_assistant)


def test_every_error_of_the_tree_is_public() -> None:
    tree = {
        name for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.PHTError)
    }  # fmt: skip
    assert tree == set(errors.__all__)
    assert tree <= set(assistant.__all__)
    for name in tree:
        assert getattr(assistant, name) is getattr(errors, name)
        assert issubclass(getattr(errors, name), errors.PHTError)


def test_importing_the_package_loads_no_model_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, assistant; "
        "print(any(m in sys.modules for m in ('torch', 'chromadb', 'sentence_transformers')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
