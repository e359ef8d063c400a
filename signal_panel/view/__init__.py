"""The panel's HTML, from a stats document alone.

The view model (``model``, ``paths``, ``rows``, ``tables``, ``findings``,
``across``: plain typed data, no HTML), the markup built in Python
(``markup``), and ``render``, which puts them through the template.
"""
