"""Over-prescription: prescribers, their over-supplied patients and the places that fill.

The scheme's registry entry (analytics/schemes.py): its name, settings, detector and the
data it needs, declared here once; the detector's steps are in the modules beside this one.
"""
from ringscope.analytics.detectors.over_prescription.assessment import chance_of_so_many, group_chance
from ringscope.analytics.detectors.over_prescription.detector import detect_over_prescription
from ringscope.analytics.detectors.over_prescription.settings import OverPrescriptionSettings
from ringscope.analytics.schemes import Need, Scheme

SCHEME = Scheme(
    name="over_prescription",
    settings=OverPrescriptionSettings,
    detect=detect_over_prescription,
    needs=(
        Need("drugs", "max_daily_units > 0", "drugs.max_daily_units",
             "no drug has a maximum daily dose, so no supply can be measured against it",
             "药品目录中没有最大日用量，无法判断是否超量开药"),
        Need("settlements", "prescriber_id IS NOT NULL", "settlements.prescriber_id",
             "no settlement names its prescriber, so no prescriber can be linked to a surplus",
             "结算记录中没有开方医师，无法把超量药品与医师关联"),
    ),
)

__all__ = ["SCHEME", "OverPrescriptionSettings", "chance_of_so_many", "detect_over_prescription", "group_chance"]
