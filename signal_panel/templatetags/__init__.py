"""The panel's template filters: ``{% load signal_panel_markup %}``."""
