"""A search index for a CMS's pages, documents and images.

Imports its signals module first, as real packages do, so ``post_save`` and
friends are attributes of ``pagesearch.signals`` before most of Django's own
modules are imported.
"""

from pagesearch import signals  # noqa: F401

__version__ = "1.4.2"
