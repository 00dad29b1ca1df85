"""Background work: the job queue (a table), the runner, and the workers that run it.

The in-process worker (embedded setup) and Celery workers (scale-out setup) claim jobs
from the same queue, run them with the same runner and keep the same housekeeping.
"""
