"""Streamlit helpers shared by app.py and pages/: build the core once, render Answers.

Imports point one way: app.py and pages/ use ui/, ui/ uses assistant/, nothing imports ui/ back.
"""
