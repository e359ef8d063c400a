"""What a recording keeps of the dispatches the recorder hands it, bounded.

``base.BaseRecording`` (fed through the recorder's ``Sink`` protocol),
``records`` (what it keeps of each dispatch), ``ignored`` (what it leaves
out), ``inline_tasks`` (the SQL of tasks run inline, kept apart).
"""
