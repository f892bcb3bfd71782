"""Maternity fraud: insured status bought through shell employers shortly before a delivery.

The scheme's registry entry (analytics/schemes.py): its name, settings, detector and the
data it needs, declared here once; the detector's steps are in the modules beside this one.
"""
from ringscope.analytics.detectors.maternity.detector import detect_maternity
from ringscope.analytics.detectors.maternity.settings import MaternitySettings
from ringscope.analytics.schemes import Need, Scheme

SCHEME = Scheme(
    name="maternity",
    settings=MaternitySettings,
    detect=detect_maternity,
    needs=(
        Need("maternity_claims", "claim_id IS NOT NULL", "maternity_claims",
             "there are no maternity claims",
             "没有生育津贴申领记录", empty_is_gap=True),
        Need("employments", "salary_base IS NOT NULL", "employments.salary_base",
             "no employment has a salary base, so no inflated salary can be seen",
             "参保关系中没有缴费基数，无法发现虚高工资"),
    ),
)

__all__ = ["SCHEME", "MaternitySettings", "detect_maternity"]
