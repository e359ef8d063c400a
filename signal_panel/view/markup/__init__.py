"""The markup built in Python (``format_html`` from literal format strings)."""
