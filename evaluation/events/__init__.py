"""Event evaluation: the scorecard's events against calls with event truth.

``listenlens eval FOLDER`` on a folder of calls with ``truth/<id>.events.json`` runs
the product on each quality present and scores its events (``bench/event_eval.py`` does
the same on the built sales calls and saves the results):

    truth.py     the truth format and a folder of calls -> EventCall (truth, recordings)
    matching.py  one analysis against one call's truth: the matching rules, CallResult
    report.py    the figures of one quality, the targets, the JSON report
    run.py       the product on one quality of every call -> EventReport
    render.py    the report as tables
    command.py   the event side of ``listenlens eval``
"""
