"""The HTTP API: request plumbing (``deps``), response shapes (``schemas``), one router per resource (``routes``)."""
