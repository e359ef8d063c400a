"""A small Django project that shows signal_panel at work: ``bash demo/run.sh``."""
