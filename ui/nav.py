"""The sidebar links between pages, the same whichever page a visitor opens first.

Streamlit's own navigation for a pages/ folder names the main page after its file ("app");
these links give every page a proper name and icon instead (config: showSidebarNavigation off).
"""

from __future__ import annotations

import streamlit as st

__all__ = ["PAGES", "page_setup"]

PAGES = (
    ("app.py", "Chat", ":material/chat:"),
    ("pages/1_Sources.py", "Sources", ":material/menu_book:"),
    ("pages/2_Review.py", "Review", ":material/rate_review:"),
)


def page_setup(title: str, *, layout: str = "centered") -> None:
    """Set the browser title and layout, and draw the links to every page in the sidebar."""
    page_title = "PHT Guide" if title == "Chat" else f"{title} · PHT Guide"
    st.set_page_config(
        page_title=page_title,
        page_icon=":material/healing:",
        layout="wide" if layout == "wide" else "centered",
    )
    with st.sidebar:
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
        st.divider()
