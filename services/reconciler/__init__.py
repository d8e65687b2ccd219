"""The reconciler: tasks that are not final in time are polled with record-info until they are.

It learns of tasks from `vocals.callbacks` and `vocals.submitted` (its own consumer group), keeps them in
one table, and publishes what polling learns to `vocals.callbacks` as `CallbackReceived` with
`origin=poll`, normalised like a callback, so the archiver and notifier need no change.
"""
