"""Calm safety text: one short line under an answer that opens to the full red-flag list.

The full disclaimer (assistant.disclaimer) is shown once at the top of the chat and in every
download, and stays in every Answer; under each answer there is only `SAFETY_LINE`. The list
follows the red-flag categories of assistant/triage/data/categories.yaml, in patients' words.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["RED_FLAGS", "SAFETY_LINE", "red_flag_markdown", "render_safety_line"]

SAFETY_LINE = "Not a diagnosis. Urgent symptoms? See below."

RED_FLAGS: tuple[tuple[str, str], ...] = (
    (
        "Numbness in the saddle area (groin, buttocks, inner thighs), or new trouble passing or "
        "holding urine or stool",
        "Go to an emergency department now.",
    ),
    (
        "A sudden pop or tearing at the sit bone, with a large bruise down the back of the "
        "thigh or trouble walking",
        "Get a same-day assessment (urgent care, A&E or your doctor today).",
    ),
    (
        "Fever or chills with a hot, red or swollen area, especially after an injection or surgery",
        "Contact a doctor today, or go to an emergency department if you feel very unwell.",
    ),
    (
        "Weakness or numbness in the leg or foot that is getting worse",
        "Get an urgent same-day medical assessment.",
    ),
    (
        "A swollen, warm, red or tender calf or thigh; breathlessness or chest pain",
        "Call your emergency number now if you are breathless or have chest pain; otherwise "
        "be seen today.",
    ),
    (
        "A fall after which you cannot put weight on the leg",
        "Do not walk on it: call an ambulance or go to an emergency department.",
    ),
    (
        "Pain at night or at rest that nothing eases, unexplained weight loss, night sweats, "
        "or a history of cancer",
        "See a doctor within the next few days.",
    ),
    (
        "Thoughts of suicide or of harming yourself",
        "Call a crisis line now (988 in the US, Samaritans 116 123 in the UK and Ireland) or "
        "your local emergency number.",
    ),
)


def red_flag_markdown() -> str:
    """Return the red-flag list as Markdown: each symptom with what to do."""
    items = [f"- **{symptom}**: {action}" for symptom, action in RED_FLAGS]
    return "Seek urgent medical care if you have:\n\n" + "\n".join(items)


def render_safety_line(key: str) -> None:
    """Show the one-line safety note under an answer; it opens to the red-flag list."""
    with st.expander(SAFETY_LINE, icon=":material/health_and_safety:", key=f"safety_{key}"):
        st.markdown(red_flag_markdown().replace("&", "\\&"))
