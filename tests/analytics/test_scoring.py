from decimal import Decimal

import numpy as np
import pytest

from ringscope.analytics.ring import Member, Ring
from ringscope.analytics.scoring import (
    RankScorer,
    ScorerError,
    feature_vector,
    fit_scorer,
    load_scorer,
    save_scorer,
    score_rings,
)


def _ring(i, strength, loss):
    return Ring("borrowed_cards", [Member("card", f"C{i}")], fund_loss=Decimal(loss),
                features={"size": 5.0, "evidence_count": float(i), "per_member": 2.0, "signal_strength": strength})


def test_rank_score_is_in_unit_interval_and_orders_by_evidence():
    rings = [_ring(i, 0.8, 100 * i) for i in range(1, 6)]
    assert score_rings(rings) == "rank"
    scores = [r.score for r in rings]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores)
    assert RankScorer().score([]) == []


def test_trained_scorer_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    rings = [_ring(i, float(rng.uniform(0.3, 1.0)), float(rng.uniform(0, 5000))) for i in range(60)]
    X = np.array([feature_vector(r) for r in rings])
    y = np.array([1 if r.features["signal_strength"] > 0.65 else 0 for r in rings])
    model = fit_scorer(X, y, seed=1)
    path = save_scorer(tmp_path, model, {"drops": ["x"]})
    assert path.name == "ring-scorer-v1.pkl" and path.with_suffix(".json").exists()
    save_scorer(tmp_path, model, {"drops": ["y"]})
    scorer = load_scorer(tmp_path, "latest")
    assert scorer is not None and scorer.version == 2
    first = load_scorer(tmp_path, str(path))
    assert first is not None and first.version == 1
    scores = scorer.score(rings)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_trained_scorer_is_opt_in(tmp_path):
    """A model stored in the workspace is never used unless model_path names it."""
    rng = np.random.default_rng(0)
    rings = [_ring(i, float(rng.uniform(0.3, 1.0)), float(rng.uniform(0, 5000))) for i in range(40)]
    X = np.array([feature_vector(r) for r in rings])
    y = np.array([1 if r.features["signal_strength"] > 0.65 else 0 for r in rings])
    save_scorer(tmp_path, fit_scorer(X, y, seed=1), {"drops": ["x"]})
    assert load_scorer(tmp_path) is None
    assert load_scorer(tmp_path, "") is None


def test_named_scorer_that_cannot_be_used_is_an_error(tmp_path):
    with pytest.raises(ScorerError, match="does not exist"):
        load_scorer(tmp_path, str(tmp_path / "missing.pkl"))
    with pytest.raises(ScorerError, match="ringscope train"):
        load_scorer(tmp_path / "nothing-here", "latest")


def test_training_needs_both_classes():
    with pytest.raises(ValueError, match="at least 2"):
        fit_scorer(np.zeros((5, 12)), np.ones(5, dtype=int))
