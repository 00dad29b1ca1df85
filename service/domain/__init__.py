"""What the service does, as plain functions over a database session and the recording storage.

The API routes, the coaching pages, the CLI and the job runner all call these; nothing
here knows about HTTP.
"""
