import re

import pytest

from ringscope.analytics.settings import DetectionSettings, SettingsError


def test_defaults_and_overrides():
    s = DetectionSettings.from_dict({"seed": 7, "car_shuttle": {"waiver_ratio": 0.2}, "schemes": ["maternity"],
                                     "memory_limit": "10GB"})
    assert s.memory_limit == "10GB"
    assert s.seed == 7 and s.car_shuttle.waiver_ratio == 0.2 and s.schemes == ("maternity",)
    assert s.digest() != DetectionSettings().digest()


def test_the_weekly_ring_matching_is_a_detection_setting():
    """[detection.evolution] reaches the weekly job's classification (was a constant in ring_evolution)."""
    from ringscope.app.config import load_config
    from ringscope.app.weekly import _evolution_settings

    s = DetectionSettings.from_dict({"evolution": {"min_overlap": 0.75, "min_shared": 3}})
    assert (s.evolution.min_overlap, s.evolution.min_shared) == (0.75, 3)
    cfg = load_config(env={})
    cfg = type(cfg)(**{**cfg.__dict__, "detection": {"evolution": {"min_overlap": 0.75}}})
    assert _evolution_settings(cfg).min_overlap == 0.75


@pytest.mark.parametrize("bad", [
    {"nope": 1}, {"car_shuttle": {"nope": 1}}, {"car_shuttle": {"min_patients": "4"}},
    {"schemes": ["fraud"]}, {"maternity": 3}, {"borrowed_cards": {"min_cards": 2.5}},
    {"memory_limit": "lots"}, {"engine": "spark"}, {"evolution": {"min_overlap": 0.0}},
    {"scoring": {"signal_weight": 1.5}},
])
def test_bad_settings_say_which(bad):
    with pytest.raises(SettingsError):
        DetectionSettings.from_dict(bad)


def test_every_setting_has_a_reason():
    import ast
    import inspect

    from ringscope.analytics import settings as mod

    found = {inspect.getmodule(section) for section in mod.sections().values()}
    modules = {m for m in found if m is not None} | {mod}
    assert len(modules) >= 6, "every scheme's settings module is checked"
    classes = [n for m in modules for n in ast.parse(inspect.getsource(m)).body
               if isinstance(n, ast.ClassDef) and n.name.endswith("Settings")]
    for cls in classes:
        body = cls.body
        for i, node in enumerate(body):
            if isinstance(node, ast.AnnAssign):
                nxt = body[i + 1] if i + 1 < len(body) else None
                assert isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant), f"{cls.name}.{ast.unparse(node.target)}"


def _doc_sections() -> dict[str, str]:
    """docs/detection.md split at its '## ' headings: heading line -> section text."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "detection.md").read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)
    return {p.splitlines()[0]: p for p in parts[1:]}


def test_every_setting_is_explained_in_its_section_of_the_detection_doc():
    """An investigator tuning a detector finds every one of its settings in that detector's section."""
    from dataclasses import fields

    from ringscope.analytics import settings as mod

    sections = _doc_sections()
    whole = "\n".join(sections.values())
    missing = []
    for name, section in mod.sections().items():
        heading = "Scores" if name == "scoring" else f"`{name}`"
        text = next((body for head, body in sections.items() if heading in head), "")
        assert text, f"docs/detection.md has no section headed with {heading}"
        missing += [f"{name}.{f.name}" for f in fields(section) if not re.search(rf"\b{f.name}\b", text)]
    missing += [f.name for f in fields(mod.DetectionSettings)
                if f.name not in mod.sections() and f.name != "by_scheme" and not re.search(rf"\b{f.name}\b", whole)]
    assert not missing, f"settings not described in docs/detection.md: {', '.join(missing)}"
