import pytest

from ringscope.analytics.settings import DetectionSettings, SettingsError


def test_defaults_and_overrides():
    s = DetectionSettings.from_dict({"seed": 7, "car_shuttle": {"waiver_ratio": 0.2}, "schemes": ["maternity"],
                                     "memory_limit": "10GB"})
    assert s.memory_limit == "10GB"
    assert s.seed == 7 and s.car_shuttle.waiver_ratio == 0.2 and s.schemes == ("maternity",)
    assert s.digest() != DetectionSettings().digest()


@pytest.mark.parametrize("bad", [
    {"nope": 1}, {"car_shuttle": {"nope": 1}}, {"car_shuttle": {"min_patients": "4"}},
    {"schemes": ["fraud"]}, {"maternity": 3}, {"borrowed_cards": {"min_cards": 2.5}},
    {"memory_limit": "lots"}, {"engine": "spark"},
])
def test_bad_settings_say_which(bad):
    with pytest.raises(SettingsError):
        DetectionSettings.from_dict(bad)


def test_every_setting_has_a_reason():
    import ast
    import inspect

    from ringscope.analytics import settings as mod

    tree = ast.parse(inspect.getsource(mod))
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Settings")]:
        body = cls.body
        for i, node in enumerate(body):
            if isinstance(node, ast.AnnAssign):
                nxt = body[i + 1] if i + 1 < len(body) else None
                assert isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant), f"{cls.name}.{node.target.id}"
