"""Synthetic data generator: contract drops with planted fraud rings.

Public API::

    from ringscope.ingest.synth import generate_drop, generate_weekly_series
    summary = generate_drop(Path("drop"), patients=100_000, seed=1)

See ``generate.py`` (one drop), ``weekly.py`` (a weekly series) and
``settings.py`` (every knob).
"""
from ringscope.ingest.synth.generate import GenerationSummary, generate_drop
from ringscope.ingest.synth.settings import GeneratorSettings

__all__ = ["GenerationSummary", "GeneratorSettings", "generate_drop", "generate_weekly_series"]


def __getattr__(name):
    if name in ("generate_weekly_series", "WeeklySeriesSummary"):
        from ringscope.ingest.synth import weekly
        return getattr(weekly, name)
    raise AttributeError(name)
