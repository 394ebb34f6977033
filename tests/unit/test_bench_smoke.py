"""pht-bench end to end in its tiny configuration (real model and Chroma; no timing checks)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bench.cli import SECTIONS, config_from_args, main
from bench.report import REQUIRED_KEYS


def _args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = dict(
        json=False, scale=False, quick=False, only=None, passes=None, sizes=None, workdir=None
    )
    values.update(overrides)
    return argparse.Namespace(**values)


def test_default_config_runs_every_section_at_1k_only() -> None:
    config = config_from_args(_args())
    assert config.sections == SECTIONS
    assert config.scale_sizes == (1000,)


def test_scale_flag_adds_10k_and_100k() -> None:
    assert config_from_args(_args(scale=True)).scale_sizes == (1000, 10_000, 100_000)


def test_only_rejects_unknown_sections() -> None:
    with pytest.raises(SystemExit, match="unknown"):
        config_from_args(_args(only="ingest,warp"))


@pytest.mark.integration
def test_quick_bench_prints_one_json_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sections = "ingest,latency,scale,backend"
    code = main(["--json", "--quick", "--only", sections, "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(REQUIRED_KEYS) <= set(result)
    assert result["ingest"][0]["corpus"] == "shipped"
    assert result["ingest"][0]["chunks"] > 0
    assert result["latency"]["ask_ms"]["total"]["n"] == result["latency"]["questions"]
    assert result["scale"]["results"][0]["size"] == 200
    assert result["cold_start"] is None
    assert "ask_p50_ms" in result["targets"]
