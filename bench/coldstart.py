"""Cold start: process start to first answer of `pht-ask`, against the model's own start-up.

Each command runs in a new process and is timed from just before it is spawned to the moment
its first line of output arrives (`pht-ask --json QUESTION` prints the answer in one go, and
exits non-zero when it cannot answer). The reference imports sentence-transformers and loads the
packaged model, the least any process that embeds a question must do.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.stats import ratio

__all__ = ["first_line_seconds", "measure_cold_start", "REFERENCE_SNIPPET"]

REFERENCE_SNIPPET = """
import sys
from sentence_transformers import SentenceTransformer
SentenceTransformer(sys.argv[1], device="cpu", local_files_only=True)
print("ready", flush=True)
"""

_PROBE_SNIPPET = """
import json, sys, time
t0 = time.perf_counter()
from assistant.settings import Settings
from assistant.factory import build_assistant
from assistant.index.chroma import chroma_client
from assistant.index.embeddings import load_embeddings
t1 = time.perf_counter()
settings = Settings.from_env()
load_embeddings(settings)
t2 = time.perf_counter()
chroma_client(settings)
t3 = time.perf_counter()
assistant = build_assistant(settings, warm=False)
t4 = time.perf_counter()
assistant.ask(sys.argv[1])
t5 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "model_s": t2 - t1, "chroma_s": t3 - t2,
                  "index_s": t4 - t3, "first_ask_s": t5 - t4}), flush=True)
"""


def first_line_seconds(
    command: Sequence[str], env: Mapping[str, str], *, timeout: float = 300
) -> tuple[float, str]:
    """Return (seconds from spawn to the first line on stdout, that line); RuntimeError if none."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(env)
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        seconds = time.perf_counter() - started
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"{command[0]} did not finish within {timeout:.0f} s") from None
    if not line or process.returncode != 0:
        raise RuntimeError(
            f"{Path(command[0]).name} failed ({process.returncode}): {stderr.strip()[-500:]}"
        )
    return seconds, line.strip()


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def measure_cold_start(
    env: Mapping[str, str], model_path: str, question: str, *, repeats: int = 3
) -> dict[str, Any]:
    """Return median seconds to first answer of `pht-ask`, of the reference, and their ratio."""
    pht_ask = Path(sys.executable).with_name("pht-ask")
    # Unbuffered, so the first line of the answer arrives when it is printed, not at exit.
    env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    commands = {
        "pht_ask": [str(pht_ask), "--json", question],
        "reference": [sys.executable, "-c", REFERENCE_SNIPPET, model_path],
    }
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            seconds, _ = first_line_seconds(command, env)
            runs[name].append(seconds)
    _, probe_line = first_line_seconds([sys.executable, "-c", _PROBE_SNIPPET, question], env)
    phases = {key: round(value, 3) for key, value in json.loads(probe_line).items()}
    ask_s = _median(runs["pht_ask"])
    reference_s = _median(runs["reference"])
    return {
        "repeats": repeats,
        "pht_ask_s": ask_s,
        "reference_s": reference_s,
        "ratio": ratio(ask_s, reference_s),
        "pht_ask_phases_s": phases,
        "runs_s": {name: [round(v, 3) for v in values] for name, values in runs.items()},
    }
