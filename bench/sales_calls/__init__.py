"""Two-party sales calls with the truth of every event known by construction.

Scripts (``scripts/*.yaml``, see ``script.py``) are spoken by several text-to-speech
engines and by real voices cut from ``../shared/data`` (``voices.py``), laid out in time
(``truth.py``, which also derives every event's truth), rendered dual-channel, mono and
telephone-band (``render.py``) and written to a cache folder outside git
(``build.py``), in the event truth format ``listenlens eval`` reads (docs/benchmarks.md);
``bench/event_eval.py`` and ``listenlens eval OUT`` run the product on them and score its events.
"""
