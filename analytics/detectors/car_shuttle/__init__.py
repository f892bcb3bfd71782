"""Car shuttles: the same villagers bussed to one institution again and again.

The scheme's registry entry (analytics/schemes.py): its name, settings, detector and the
data it needs, declared here once; the detector's steps are in the modules beside this one.
"""
from ringscope.analytics.detectors.car_shuttle.detector import detect_car_shuttle
from ringscope.analytics.detectors.car_shuttle.settings import CarShuttleSettings
from ringscope.analytics.schemes import Need, Scheme

SCHEME = Scheme(
    name="car_shuttle",
    settings=CarShuttleSettings,
    detect=detect_car_shuttle,
    needs=(
        Need("settlements", "admitted_on IS NOT NULL OR kind = 'inpatient'",
             "settlements.admitted_on / kind",
             "no settlement is marked as an inpatient stay, so no joint admission can be seen",
             "结算记录中没有住院标记或入院日期，无法发现集体住院"),
        Need("settlements", "self_paid IS NOT NULL", "settlements.self_paid",
             "no settlement says what the patient paid: bussed cohorts are still found from repeated joint "
             "admissions, but waived fees cannot back them, so weak cohorts may be missed",
             "结算记录中没有个人自付金额：仍可根据反复集体住院发现包车团伙，但无法用减免自付费用加以印证，"
             "证据较弱的团伙可能漏检"),
    ),
)

__all__ = ["SCHEME", "CarShuttleSettings", "detect_car_shuttle"]
