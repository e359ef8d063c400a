"""Answers built from a recording, off the hot path.

The stats document, the registry of signals and receivers, why a receiver did
not run, the classic mistakes, and sums across many documents.
"""
