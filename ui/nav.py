"""Page set-up shared by the chat and Sources: title, local favicon, stylesheet, sidebar links.

Streamlit's own navigation for a pages/ folder names the main page after its file ("app");
these links give every page a proper name and icon instead (config: showSidebarNavigation off).
The patient app has exactly these pages; review runs as its own app (review_app.py).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

__all__ = ["FAVICON", "PAGES", "STYLE", "page_setup", "use_style"]

_ASSETS = Path(__file__).resolve().parent / "assets"
FAVICON = str(_ASSETS / "favicon.png")
"""Served by this app itself: no icon is fetched from the internet."""
STYLE = _ASSETS / "style.css"

PAGES = (
    ("app.py", "Chat", ":material/chat:"),
    ("pages/1_Sources.py", "Sources", ":material/menu_book:"),
)


def use_style() -> None:
    """Add the app's small stylesheet (touch-target sizes, card titles) to this page."""
    st.html(STYLE.read_text(encoding="utf-8").join(("<style>", "</style>")))


def page_setup(title: str, *, layout: str = "centered") -> None:
    """Set the browser title, icon and layout, and draw the links to every page in the sidebar."""
    page_title = "PHT Guide" if title == "Chat" else f"{title} · PHT Guide"
    st.set_page_config(
        page_title=page_title,
        page_icon=FAVICON,
        layout="wide" if layout == "wide" else "centered",
    )
    use_style()
    with st.sidebar:
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
