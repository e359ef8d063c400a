"""What ties recordings to the toolbar.

One recording per request (``lifecycle``), the registry stored once per
process state in the toolbar's store (``stored_registry``), and the "Across
requests" tab's view over that store (``across_store``).
"""
