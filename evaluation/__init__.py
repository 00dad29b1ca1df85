"""The evaluation: how right the pipeline is, measured against human truth.

It sits beside the product, not inside it: it runs the same functions ``listenlens
analyze`` runs (``pipeline/transcribe.py``, ``pipeline/analyze.py``) and compares their
answer with RTTM truth. The pipeline never imports from here.

    cases.py       a folder of recordings -> EvalCase (audio, RTTM turns, UEM, split)
    hypotheses.py  EvalCase -> Hypothesis: the product pipeline's answer, or saved RTTM
    der.py         diarization error (DER, its parts, JER) per collar, pooled over files
    timing.py      the scorecard's timing figures on truth and hypothesis, and their error
    runner.py      one file's result, the figures per split, the whole report
    targets.py     the accuracy, speed and memory targets and their verdicts
    commands.py    the ``listenlens eval`` command and its tables
    events/        the scorecard's events against event truth (a folder of calls with
                   ``truth/<id>.events.json``): ``listenlens eval`` on such a folder

Conventions (also in ``docs/benchmarks.md``):

* **Collar.** A collar ``c`` forgives ``c`` seconds on *each* side of every reference
  boundary, as NIST md-eval's ``-c`` does ("DER at a 0.25 s collar"). pyannote.metrics
  takes the *total* width, so ``c`` is passed to it as ``2c``.
* **Scored region.** Inside the UEM when one is given, else the whole recording.
* **Roles.** The truth's rep is its first speaker (the one whose first turn starts
  earliest), everyone else is a customer. The pipeline's speakers get their roles
  through the optimal one-to-one mapping pyannote.metrics finds between hypothesis and
  truth speakers: a hypothesis speaker mapped to the truth's rep is the rep, every other
  one a customer. So these figures measure who-spoke-when, not role inference (whether
  the pipeline's own role inference agreed is reported beside them).
* **Words on the truth.** The truth has no transcript, but backchannels and questions
  are told apart by their words. The pipeline's words are therefore given to the truth
  speaker whose turns cover them (the pipeline's own attribution rule), so both sides
  are judged on the same words and the difference is the timing alone.
"""
