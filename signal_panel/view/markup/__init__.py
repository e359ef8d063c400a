"""The dispatch rows' markup, the only markup built in Python (``format_html``
from literal format strings): a timeline lane, a table row and the details
per dispatch, hundreds on a page (``shared`` explains why)."""
