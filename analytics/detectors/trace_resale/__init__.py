"""Trace-code resale: boxes reimbursed again after a holder sold them (NHSA 回流药 notices).

The scheme's registry entry (analytics/schemes.py): its name, settings, detector and the
data it needs, declared here once; the detector's steps are in the modules beside this one.
"""
from ringscope.analytics.detectors.trace_resale.detector import detect_trace_resale
from ringscope.analytics.detectors.trace_resale.settings import TraceResaleSettings
from ringscope.analytics.schemes import Need, Scheme

SCHEME = Scheme(
    name="trace_resale",
    settings=TraceResaleSettings,
    detect=detect_trace_resale,
    needs=(
        Need("dispensings", "trace_code IS NOT NULL", "dispensings.trace_code",
             "no dispensing line carries a trace code, so no box reimbursed twice can be seen",
             "药品明细中没有追溯码，无法发现同一盒药被重复报销"),
    ),
)

__all__ = ["SCHEME", "TraceResaleSettings", "detect_trace_resale"]
