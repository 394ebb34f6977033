"""What the numbers were measured on: cores, memory, load average, date, peak memory."""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
from pathlib import Path

__all__ = ["machine_info", "load_average", "peak_rss_mb", "process_memory_mb"]


def _meminfo_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    """Return the 1, 5 and 15 minute load averages (zeros where the OS has none)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return [0.0, 0.0, 0.0]


def machine_info() -> dict[str, object]:
    """Return the machine's cores, memory, CPU model, Python version and today's date (UTC)."""
    return {
        "cores": os.cpu_count(),
        "memory_gb": _meminfo_gb(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MiB."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork + exec, so a child started by
    # a process holding the model would report the parent's peak.
    peak = process_memory_mb(os.getpid()).get("peak")
    if peak is not None:
        return peak
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def process_memory_mb(pid: int) -> dict[str, float]:
    """Return {rss, peak} in MiB of another process from /proc (empty if it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    found: dict[str, float] = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found["rss" if key == "VmRSS" else "peak"] = round(int(value.split()[0]) / 1024, 1)
    return found
