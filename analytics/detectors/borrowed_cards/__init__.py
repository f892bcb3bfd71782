"""Borrowed or rented cards: pools of cards a handler settles in batches.

The scheme's registry entry (analytics/schemes.py): its name, settings, detector and the
data it needs, declared here once; the detector's steps are in the modules beside this one.
"""
from ringscope.analytics.detectors.borrowed_cards.detector import detect_borrowed_cards
from ringscope.analytics.detectors.borrowed_cards.settings import BorrowedCardsSettings
from ringscope.analytics.detectors.borrowed_cards.signs import SEX_AGE_MISFIT, two_places
from ringscope.analytics.schemes import Need, Scheme

SCHEME = Scheme(
    name="borrowed_cards",
    settings=BorrowedCardsSettings,
    detect=detect_borrowed_cards,
    needs=(
        Need("settlements", "operator_id IS NOT NULL OR device_id IS NOT NULL",
             "settlements.operator_id / device_id",
             "no settlement names its operator or device: card pools are still found from cards settled minutes "
             "apart at one place, but gang phones and one clerk's batches cannot back them, so small pools may be missed",
             "结算记录中没有经办人或设备编号：仍可根据同一机构几分钟内连续结算发现医保卡池，"
             "但无法用团伙手机或同一经办人批量刷卡加以印证，小的卡池可能漏检"),
        Need("patients", "region_code IS NOT NULL OR death_date IS NOT NULL OR birth_date IS NOT NULL",
             "patients.region_code / death_date / birth_date",
             "holders have no region, death or birth date, so no card shows a misuse sign",
             "参保人缺少地区、死亡日期和出生日期，无法判断医保卡是否被冒用"),
    ),
)

__all__ = ["SCHEME", "SEX_AGE_MISFIT", "BorrowedCardsSettings", "detect_borrowed_cards", "two_places"]
