"""`make run`: build the assistant first, then start Streamlit in this same process.

Loading the embedding model and the index takes 25-40 s on a cold machine. Done here, before the
server prints its URL, the first visitor gets an answer at once instead of waiting on a spinner.
The chat's scripts run in this process, so they find the assistant that was built here
(`ui.core.warm_assistant`); without this launcher (`streamlit run app.py`) the chat still shows
its input box at once and answers the first question when the assistant is ready.

Usage: python -m ui.serve [streamlit run options, e.g. --server.port 8501]
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

logger = logging.getLogger(__name__)

APP = Path(__file__).resolve().parents[1] / "app.py"


def main(argv: Sequence[str] | None = None) -> int:
    """Warm the assistant, then hand over to `streamlit run app.py` with the given options."""
    from assistant.errors import PHTError
    from assistant.settings import Settings
    from ui.core import warm_assistant

    options = list(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    sys.stderr.write("Loading the guidance documents and the embedding model…\n")
    try:
        assistant = warm_assistant(Settings.from_env())
        # One question through every stage, so the first visitor's is not the first the
        # model, the caches and the composer see (it is not logged).
        assistant.ask("Why does sitting hurt?")
    except PHTError as exc:
        sys.stderr.write(f"PHT Guide cannot start: {exc}\n")
        return 1
    sys.stderr.write(f"Ready in {time.monotonic() - started:.1f} s. Starting the chat…\n")
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", str(APP), *options]
    try:
        streamlit_cli.main(prog_name="streamlit")
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
