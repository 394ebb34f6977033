"""A "Copy answer" button: puts the answer's plain text (with its sources) on the clipboard.

Streamlit has no clipboard button, so this is a small `st.components.v2` component. The text
travels as component data and is written with `navigator.clipboard.writeText`: it is never
parsed as HTML, so an answer quoting `<script>` copies those characters and runs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from assistant.types import Answer

__all__ = ["answer_plain_text", "copy_button"]

_JS = """
export default function (component) {
  const { data, parentElement } = component;
  let button = parentElement.querySelector("button");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    parentElement.appendChild(button);
  }
  const label = data.label;
  button.textContent = label;
  button.setAttribute("aria-live", "polite");
  button.onclick = async () => {
    try {
      await navigator.clipboard.writeText(data.text);
      button.textContent = "Copied";
    } catch (error) {
      button.textContent = "Copying failed: select the text instead";
    }
    setTimeout(() => { button.textContent = label; }, 2500);
  };
}
"""

_CSS = """
button.copy {
  min-height: 44px;
  min-width: 44px;
  padding: 0.4rem 0.9rem;
  border: 1px solid #8a8f98;
  border-radius: 0.5rem;
  background: #ffffff;
  color: #1f2328;
  font: inherit;
  cursor: pointer;
}
button.copy:hover { border-color: #1c5696; color: #1c5696; }
button.copy:focus-visible { outline: 3px solid #1c5696; outline-offset: 2px; }
"""

_component: Callable[..., Any] | None = None


def answer_plain_text(answer: Answer) -> str:
    """Return the answer as plain text followed by its numbered sources."""
    lines = [answer.answer.strip()]
    if answer.citations:
        lines += ["", "Sources:"]
        for citation in answer.citations:
            where = ", ".join(p for p in (citation.publisher, citation.date) if p)
            section = f" ({citation.section})" if citation.section else ""
            lines.append(f"[{citation.marker}] {citation.title}{section}. {where}".rstrip(". "))
    return "\n".join(lines)


def copy_button(text: str, *, key: str, label: str = "Copy answer") -> None:
    """Show the copy button for `text` (call where the button belongs)."""
    global _component
    if _component is None:
        _component = st.components.v2.component("pht_copy_button", js=_JS, css=_CSS)
    _component(data={"text": text, "label": label}, key=key, width="content")
