"""One router per resource: ``/v1/calls``, trends, ``/v1/webhook``, ``/v1/exports``."""
