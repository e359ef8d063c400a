"""What runs inside ``Signal.send``: the hot path and its installation.

``state`` holds the context variables; ``inflight`` a dispatch in flight and
its receivers' calls (the one definition of a call's layout); ``dispatch``
begins and ends them, ``async_receivers`` times async receivers, ``probes``
is the fallback; ``queries`` charges SQL to the running call, ``gc_pauses``
times the collector. ``compiler`` makes Django's send methods with the
recorder written into them (its contracts, the hooks and the call's layout,
in ``compiler.contracts``; ``python -m signal_panel.recorder.compiler``
prints the code); ``instrument`` fills those contracts and puts the methods
on ``Signal``. The recorder never imports a recording: it feeds one through
``state.Sink``.
"""
