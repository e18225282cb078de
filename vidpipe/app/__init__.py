"""The use cases: what a person can ask of vidpipe, once, for every door.

The CLI, the HTTP API and the web page parse their input, call one function here, and render
what it returns. Each function works over a session, the settings (and provider registry) and a
runner (vidpipe.runners.base.Runner), and raises only `VidpipeError`s; the doors turn those into
an exit code, an HTTP status or a message next to a form. Modules import their heavy parts where
used, so the CLI imports this package cheaply.

- generate.py: check the options against providers and budget, create, hand to the runner
- runs.py: resume, plan, restitch, stop, approve-resubmission, gc
- iterate.py: edit, fork, redo, select (+ the re-stitch when only the stitch is stale)
- projects.py: the list, one project's status, its detail with the plan (read only)
"""
