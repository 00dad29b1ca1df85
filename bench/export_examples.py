"""Write the dev split of bench/labelled/ into pipeline/metrics/sentence_examples.py.

The sentence classifiers (``listenlens.pipeline.metrics.semantic``) learn from those
examples, so the package carries them; only dev items are exported, never test items,
so the test split stays unseen. The classifiers trained on them ship in
``models/weights/content_classifiers.npz``, which this rebuilds after writing the
examples (``scripts/build_content_classifiers.py``). Run after changing the dev split:

    .venv/bin/python bench/export_examples.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "pipeline" / "metrics" / "sentence_examples.py"
SETS = {"OBJECTIONS": "objections", "SELF_PROMOTION": "self_promotion"}


def main() -> None:
    lines = [
        '"""Labelled example sentences the sentence classifiers learn from (generated; do not edit).',
        "",
        "Written by bench/export_examples.py from the dev split of bench/labelled/; each is",
        "(text, label). The test split is never exported.",
        '"""',
        "",
    ]
    for const, name in SETS.items():
        rows = [json.loads(x) for x in (HERE / "labelled" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
        lines.append(f"{const}: list[tuple[str, str]] = [")
        for r in rows:
            if r["split"] == "dev":
                lines.append(f"    ({json.dumps(r['text'])}, {json.dumps(r['label'])}),")
        lines += ["]", ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT}")
    # A fresh process: this one has not imported the examples just written.
    subprocess.run([sys.executable, str(HERE.parent / "scripts" / "build_content_classifiers.py")], check=True)


if __name__ == "__main__":
    main()
