"""listenlens: a listening-skills analyzer for recorded sales calls.

The code lives in three sibling folders of the repository, installed under this
namespace: ``listenlens.pipeline`` (audio -> timeline -> metrics -> scorecard),
``listenlens.service`` (the FastAPI service) and ``listenlens.models`` (which weights,
where they load from).
"""

__version__ = "0.1.0"
