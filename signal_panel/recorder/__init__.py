"""What runs inside ``Signal.send``: the hot path and its installation.

``state`` holds the context variables; ``inflight`` a dispatch in flight and
its receivers' calls; ``dispatch`` begins and ends them; ``compiler`` makes
Django's send methods with the recorder written into them; ``instrument``
puts them on ``Signal``. The recorder never imports a recording: it feeds one
through ``state.Sink``.
"""
