from pathlib import Path

from handbuilt import rules_only  # noqa: E402
from listenlens.pipeline.plot import plot_call
from listenlens.pipeline.timeline import build_timeline


class NoEmbedder:
    def encode(self, texts, **kwargs):  # paraphrase detection is not what this test is about
        import numpy as np

        return np.eye(len(texts), 8)


def test_plot_draws_every_speaker_lane(tmp_path: Path):
    from listenlens.pipeline.scorecard import score_call

    tl = build_timeline(
        turns=[(0, 4, "A"), (5, 9, "B"), (8.2, 12, "A"), (12.5, 14, "C")],
        words=[(0, 0.4, "What", "A"), (0.4, 3.9, "happened?", "A"), (5, 9, "It broke.", "B"), (8.2, 12, "Right, so", "A")],
        roles={"A": "rep", "B": "customer", "C": "customer"},
    )
    path = plot_call(score_call(tl, rules_only(), embedder=NoEmbedder()), tl, tmp_path / "call.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image as mpimg

    height, width = mpimg.imread(str(path)).shape[:2]
    assert width > 1000 and height > 200  # three lanes plus the marker row
    assert not list(tmp_path.glob(".*part*"))
