"""A score in [0, 1] per ring: unsupervised by default, a trained model when present.

Every detector fills the same per-ring features (size, evidence count,
evidence per member, ratio to the baseline, active days, a scheme signal
strength in [0, 1]); fund loss is added here.  Two scorers:

* :class:`RankScorer` (no labels needed): the detector's signal strength
  blended with the percentile rank of the ring's evidence volume, evidence
  per member and fund loss among all rings of the run.  Rank-based, so it is
  calibrated to [0, 1] without knowing any scale.
* :class:`TrainedScorer`: a calibrated classifier (gradient boosting inside
  ``CalibratedClassifierCV``, isotonic; Niculescu-Mizil & Caruana 2005) fitted
  by ``ringscope train`` on generator truth: label 1 when the ring matches a
  true ring under the contract's rule.  Stored in the workspace with a
  version and JSON metadata.  It is opt-in: ``detect`` uses it only when
  ``[detection.scoring] model_path`` names it (or says ``latest``), because a
  model fitted on one generator's truth must never change scores unnoticed.
"""
from __future__ import annotations

import json
import math
import pickle
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from ringscope.analytics.ring import Ring
from ringscope.analytics.settings import ScoringSettings
from ringscope.ingest.contract import SCHEMES

FEATURES = ("size", "evidence_count", "per_member", "baseline_ratio", "active_days", "signal_strength", "log_fund_loss")
MODEL_DIR = "models"
MODEL_PREFIX = "ring-scorer-v"


def feature_vector(ring: Ring) -> list[float]:
    f = dict(ring.features)
    f["log_fund_loss"] = math.log1p(float(ring.fund_loss))
    vec = [float(f.get(name, 0.0)) for name in FEATURES]
    schemes = set(ring.schemes)  # a mixed ring: every scheme it merged
    vec += [1.0 if s in schemes else 0.0 for s in SCHEMES]
    return vec


class Scorer(Protocol):
    name: str

    def score(self, rings: Sequence[Ring]) -> list[float]: ...


def _percentiles(values: Sequence[float]) -> list[float]:
    """Average-rank percentile in (0, 1]; a lone ring gets 1."""
    n = len(values)
    order = sorted(range(n), key=lambda i: values[i])
    ranks = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j + 2) / 2 / n
        i = j + 1
    return ranks


class RankScorer:
    """Unsupervised: signal strength blended with within-run percentile ranks."""

    name = "rank"

    def __init__(self, signal_weight: float = ScoringSettings.signal_weight) -> None:
        self.signal_weight = signal_weight

    def score(self, rings: Sequence[Ring]) -> list[float]:
        if not rings:
            return []
        cols = [
            [math.log1p(r.features.get("evidence_count", 0.0)) for r in rings],
            [r.features.get("per_member", 0.0) for r in rings],
            [math.log1p(float(r.fund_loss)) for r in rings],
        ]
        ranks = [_percentiles(c) for c in cols]
        out = []
        for i, r in enumerate(rings):
            volume = sum(rk[i] for rk in ranks) / len(ranks)
            s = self.signal_weight * r.features.get("signal_strength", 0.5) + (1 - self.signal_weight) * volume
            out.append(round(min(1.0, max(0.0, s)), 4))
        return out


@dataclass
class TrainedScorer:
    model: Any
    version: int
    metadata: dict[str, Any]
    name: str = "trained"

    def score(self, rings: Sequence[Ring]) -> list[float]:
        if not rings:
            return []
        X = np.array([feature_vector(r) for r in rings], dtype=float)
        proba = self.model.predict_proba(X)[:, 1]
        return [round(float(p), 4) for p in proba]


def score_rings(rings: Sequence[Ring], scorer: Scorer | None = None) -> str:
    """Write ``ring.score`` for every ring; returns the scorer's name."""
    scorer = scorer or RankScorer()
    for ring, s in zip(rings, scorer.score(rings)):
        ring.score = s
    return scorer.name


# --- training and storage ------------------------------------------------------

def fit_scorer(X: np.ndarray, y: np.ndarray, seed: int = 42) -> Any:
    """Gradient boosting, calibrated (isotonic when there are enough rings, else sigmoid)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if min(n_pos, n_neg) < 2:
        raise ValueError(f"need at least 2 matched and 2 unmatched rings to train, got {n_pos} and {n_neg}")
    folds = max(2, min(5, n_pos, n_neg))
    base = GradientBoostingClassifier(random_state=seed, n_estimators=150, max_depth=3) if len(y) >= 40 \
        else LogisticRegression(max_iter=2000)
    method = "isotonic" if min(n_pos, n_neg) >= 20 else "sigmoid"
    model = CalibratedClassifierCV(base, method=method, cv=folds)
    model.fit(X, y)
    return model


def model_dir(workspace: Path) -> Path:
    return Path(workspace) / MODEL_DIR


def save_scorer(workspace: Path, model: Any, metadata: dict[str, Any]) -> Path:
    """Store ``model`` as the next version; returns the model file path."""
    d = model_dir(workspace)
    d.mkdir(parents=True, exist_ok=True)
    versions = [int(p.stem.removeprefix(MODEL_PREFIX)) for p in d.glob(f"{MODEL_PREFIX}*.pkl")
                if p.stem.removeprefix(MODEL_PREFIX).isdigit()]
    version = max(versions, default=0) + 1
    path = d / f"{MODEL_PREFIX}{version}.pkl"
    with open(path, "wb") as fh:
        pickle.dump(model, fh)
    meta = dict(metadata, version=version, features=list(FEATURES) + [f"scheme={s}" for s in SCHEMES],
                created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


class ScorerError(ValueError):
    """The scorer named in settings cannot be used (missing file, other feature layout)."""


LATEST = "latest"


def load_scorer(workspace: Path | None, explicit: str = "") -> TrainedScorer | None:
    """The trained scorer that ``[detection.scoring] model_path`` asks for, else None (rank score).

    Opt-in on purpose: a model in the workspace is never picked up silently.
    ``explicit`` is a model file, or ``latest`` for the newest one ``ringscope
    train`` stored in the workspace.  A named model that is missing or was
    trained on another feature layout is an error, not a silent fallback.
    """
    if not explicit:
        return None
    path = _newest_model(workspace) if explicit == LATEST else Path(explicit)
    if path is None:
        raise ScorerError(f"[detection.scoring] model_path = 'latest', but no trained scorer is stored in "
                          f"{model_dir(workspace) if workspace else 'the workspace'} (run `ringscope train` first)")
    if not path.is_file():
        raise ScorerError(f"[detection.scoring] model_path: {path} does not exist")
    with open(path, "rb") as fh:
        model = pickle.load(fh)  # our own file, written by save_scorer
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    if meta.get("features") and meta["features"] != list(FEATURES) + [f"scheme={s}" for s in SCHEMES]:
        raise ScorerError(f"{path}: trained on another feature layout; retrain it with `ringscope train`")
    return TrainedScorer(model=model, version=int(meta.get("version", 0)), metadata=meta)


def _newest_model(workspace: Path | None) -> Path | None:
    """The highest-versioned ``ring-scorer-vN.pkl`` in the workspace, if any."""
    if workspace is None or not model_dir(workspace).exists():
        return None
    cands = sorted(
        (int(p.stem.removeprefix(MODEL_PREFIX)), p) for p in model_dir(workspace).glob(f"{MODEL_PREFIX}*.pkl")
        if p.stem.removeprefix(MODEL_PREFIX).isdigit()
    )
    return cands[-1][1] if cands else None
