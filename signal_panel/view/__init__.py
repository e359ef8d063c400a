"""The panel's HTML, from a stats document alone.

The view model (``model``, ``paths``, ``rows``, ``tables``, ``findings``,
``across``: plain typed data, no HTML), the dispatch rows' markup built in
Python (``markup``), and ``render``, which puts them through the templates
(``templates/signal_panel/``: the page, the findings, the Groups and Registry
tabs).
"""
