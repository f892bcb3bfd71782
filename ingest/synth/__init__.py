"""Synthetic data generator: contract drops with planted fraud rings.

Public API::

    from ringscope.ingest.synth import generate_drop, generate_weekly_series
    summary = generate_drop(Path("drop"), patients=100_000, seed=1)
    series = generate_weekly_series(Path("series"), patients=20_000, seed=1, weeks=12)

Modules, by concern:

- ``settings``: every knob (GeneratorSettings);
- ``regions``, ``names``, ``idnumbers``, ``catalogue``: reference knowledge
  (GB/T 2260 codes, names, GB 11643 IDs, drugs and ICD-10/DRG codes);
- ``population``, ``facilities``, ``employers``, ``world``: the simulated world;
- ``background``: ordinary activity, vectorised per block of people;
- ``schemes/``: one planter per fraud scheme, ``lifecycle`` for ring growth,
  merges and stops, ``variants`` for the per-ring departures from each
  scheme's textbook form;
- ``hard_negatives`` and ``lookalike_care`` / ``lookalike_supply`` /
  ``lookalike_employers``: legitimate look-alikes (at least two per
  coordination pattern a detector uses);
- ``facts``, ``truth``, ``simulation``: internal rows, ground truth, the run;
- ``identifiers``, ``formats``, ``render``, ``writer``: rendering and CSV output;
- ``generate`` (one drop) and ``weekly`` (a weekly series).
"""
from ringscope.ingest.synth.generate import GenerationSummary, generate_drop
from ringscope.ingest.synth.settings import GeneratorSettings
from ringscope.ingest.synth.weekly import WeeklySeriesSummary, generate_weekly_series

__all__ = ["GenerationSummary", "GeneratorSettings", "WeeklySeriesSummary", "generate_drop",
           "generate_weekly_series"]
