"""Fitting the supervised ring scorer from generated drops (``ringscope train``).

Each drop is loaded into an in-memory DuckDB (no ingest needed: the truth
must not be mixed into the workspace), the detectors run with the
unsupervised scorer, and every detected ring is labelled 1 when it matches
a true ring under the contract's rule (``analytics.evaluation``), else 0.
The labelled features train a calibrated classifier (``analytics.scoring``)
that is stored with a version and JSON metadata in the workspace.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ringscope.analytics.contract_tables import connect_drop
from ringscope.analytics.evaluation import DetectedRing, load_truth, match_rings
from ringscope.analytics.pipeline import run_detection
from ringscope.analytics.ring import Ring
from ringscope.analytics.scoring import RankScorer, feature_vector, fit_scorer, save_scorer
from ringscope.analytics.settings import DetectionSettings

DropDetector = Callable[[Path], list[Ring]]


def _in_memory(settings: DetectionSettings) -> DropDetector:
    """Detection on a drop loaded in memory, rank scorer (for callers without a configuration)."""
    def detect(drop_dir: Path) -> list[Ring]:
        con = connect_drop(drop_dir)
        try:
            return run_detection(con, settings, scorer=RankScorer(settings.scoring.signal_weight)).rings
        finally:
            con.close()

    return detect


def labelled_rings(drop_dir: Path, settings: DetectionSettings,
                   detect: DropDetector | None = None) -> tuple[list[list[float]], list[int]]:
    """Features and labels of the rings ``detect`` finds in one generated drop.

    ``detect`` is the application's one detection run (``app.detection.drop_detector``),
    so a scorer is trained on exactly what ``detect`` and ``weekly`` would find."""
    rings = (detect or _in_memory(settings))(drop_dir)
    truth = load_truth(drop_dir)
    detected = [DetectedRing(f"#{i}", r.scheme, set(r.member_keys()), r.fund_loss) for i, r in enumerate(rings)]
    matched = {d.ring_id for _, d, _ in match_rings(truth.rings, detected)}
    X = [feature_vector(r) for r in rings]
    y = [1 if f"#{i}" in matched else 0 for i in range(len(rings))]
    return X, y


def train_scorer(drop_dirs: Sequence[Path], workspace: Path, settings: DetectionSettings,
                 detect: DropDetector | None = None) -> tuple[Path, dict[str, Any]]:
    X: list[list[float]] = []
    y: list[int] = []
    for d in drop_dirs:
        xs, ys = labelled_rings(Path(d), settings, detect)
        X += xs
        y += ys
    Xa, ya = np.array(X, dtype=float), np.array(y, dtype=int)
    model = fit_scorer(Xa, ya, seed=settings.seed)
    try:
        from sklearn.metrics import roc_auc_score

        auc = float(roc_auc_score(ya, model.predict_proba(Xa)[:, 1]))
    except ValueError:
        auc = float("nan")
    meta = {
        "drops": [str(Path(d).resolve()) for d in drop_dirs], "rings": int(len(ya)), "positives": int(ya.sum()),
        "settings_hash": settings.digest(), "train_auc": auc, "model": type(model).__name__,
    }
    path = save_scorer(workspace, model, meta)
    import json

    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return path, meta
