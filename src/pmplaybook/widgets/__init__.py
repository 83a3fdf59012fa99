"""ipywidgets explorers for JupyterLab, one sub-module per framework.

Widgets run Python callbacks, so they work only with a live kernel: notebooks show them when their
``interactive`` parameter is true and always show the static charts too, so exported reports are complete.
"""
