"""The words of the referral summary, in Chinese and English.

Kept beside the template rather than in the explorer's message catalogue
because they are the wording of a document handed to public security:
changing them changes what the package says, so they change with it.
"""
from __future__ import annotations

from typing import Any

from ringscope.app.i18n import Translator

LANGS = ("zh", "en")

# An institution's DRG case is not a ring scheme (no registry entry, no catalogue name): the referral's own words.
INSTITUTION_CASE = {"zh": "DRG/DIP 支付违规（机构案件）", "en": "DRG/DIP payment violations (institution case)"}

ENTITY = {
    "zh": {"patient": "参保人", "card": "医保凭证", "facility": "定点医药机构", "prescriber": "医师",
           "employer": "用人单位", "device": "设备"},
    "en": {"patient": "patient", "card": "card", "facility": "facility", "prescriber": "prescriber",
           "employer": "employer", "device": "device"},
}

ROLES_ZH = {"seller": "卖药人", "reseller": "回收转售方", "organizer": "组织者", "organiser": "组织者",
            "member": "成员", "driver": "接送人", "recruiter": "招揽人", "admitting": "收治机构",
            "prescriber": "开方医师", "pharmacy": "药店", "holder": "持卡人", "user": "使用人",
            "shell employer": "空壳用人单位", "employer": "用人单位", "claimant": "申领人", "device": "设备"}

T: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "涉嫌欺诈骗取医疗保障基金团伙案件移送材料",
        "ring": "团伙编号", "scheme": "作案手段", "score": "评分", "run": "检测批次", "source": "团伙来源",
        "tool": "生成工具", "data_as_of": "数据截至", "drops": "数据批次（编号与指纹）",
        "masking": "个人信息", "masked": "已脱敏（姓名、身份证号、电话、地址、出生日期按规定遮盖）",
        "unmasked": "未脱敏（经授权用户导出，注意保密）",
        "s_loss": "一、基金损失", "total_loss": "基金损失合计",
        "settlements_total": "结算统筹支付合计", "claims_total": "生育津贴合计", "n_txn": "笔",
        "method": "计算方法：逐笔计算。对本团伙的每一笔结算取其基金支付金额，对每一笔生育津贴申领取其申领金额，"
                  "每笔交易只计一次，以十进制精确到分后求和。明细见附件（settlements.csv、claims.csv）。",
        "reported": "检测报告的基金损失", "differs": "与逐笔重算结果不一致，以逐笔重算为准",
        "missing": "以下交易编号在数据中未找到，未计入：",
        "per_facility": "按机构（生育津贴按用人单位）汇总", "per_member": "按成员汇总",
        "per_member_note": "一笔交易涉及多个成员（参保人、凭证、机构等）时分别计入各成员，因此按成员汇总之和可能大于合计；按机构汇总之和等于合计。",
        "s_members": "二、团伙成员及角色", "type": "类型", "id": "编号", "role": "角色", "name": "名称/姓名",
        "details": "基本信息", "n_settlements": "结算笔数", "fund_paid": "统筹支付", "claims": "津贴金额",
        "amount": "金额", "count": "笔数", "kind": "类别", "involved": "涉及金额",
        "s_timeline": "三、时间线", "period_day": "按日", "period_week": "按周（周一起）", "period_month": "按月", "date": "日期", "cards": "凭证数", "facilities": "机构",
        "admissions": "入院", "more_rows": "另有 {n} 行未列出，见附件。",
        "s_evidence": "四、证据", "detection_evidence": "检测依据", "chains": "药品追溯码重复报销链",
        "trace_code": "追溯码", "drug": "药品", "chain": "报销顺序（结算@机构，日期，凭证）", "times": "次数",
        "correction": "（同卡同机构同日，可能为冲正）",
        "shared_devices": "多张凭证共用的设备", "shared_operators": "为多张凭证结算的操作员",
        "first": "首次", "last": "末次", "co_admissions": "同日入院", "patients": "参保人",
        "shared_contacts": "共用联系方式", "field": "项目", "value": "内容",
        "employers": "用人单位情况", "registered": "注册日期", "agent": "代办机构", "employees": "登记职工",
        "min_days": "入职至申领最短天数", "none": "无",
        "s_triage": "五、处置记录", "changed_at": "时间", "changed_by": "操作人", "change": "状态变更",
        "assignee": "负责人", "note": "备注", "no_triage": "本团伙尚无处置记录。",
        "status": {"new": "新发现", "investigating": "调查中", "confirmed": "已确认", "dismissed": "已排除"},
        "s_evidence_rows": "七、证据明细（每条证据所依据的交易）", "evidence_ref": "明细 {no}，{n} 笔",
        "evidence_ref_none": "明细 {no}：成员资料，无交易",
        "data_refs": "交易明细见第七部分 {first}–{last}。",
        "basis_fact": "本团伙结算中符合该事实的每一笔（按检测所用规则逐笔核对存储数据）",
        "basis_listed": "该项所列的每一笔交易", "basis_ring": "该项针对本团伙全部交易",
        "ring_rows": "（共 {n} 笔，即第六部分所列交易；逐笔见 evidence_rows.csv 的 {no}）。",
        "record": "交易编号", "service": "诊疗/药品", "more_evidence_rows": "另有 {n} 笔见 evidence_rows.csv（{no}）。",
        "more_evidence_items": "另有 {n} 项证据的明细见 evidence_rows.csv。",
        "signoff": "签批", "prepared_by": "经办人（签字）", "reviewed_by": "复核人（签字）", "sign_date": "日期",
        "sign_date_blank": "　　　　年　　月　　日", "seal": "单位（盖章）",
        "s_transactions": "六、逐笔交易明细", "settled_at": "结算时间", "card": "凭证", "facility": "机构",
        "patient": "参保人", "transactions_in_annex": "本团伙共 {n} 笔结算，逐笔明细见附件 settlements.csv / annexes.xlsx。",
        "s_annexes": "八、附件清单", "file": "文件", "annex_note": "本材料为 BagIt 包，所有文件的 SHA-256 校验值见 manifest-sha256.txt，可用 ringscope verify 校验。",
        "phone": "电话", "address": "地址", "yes": "是",
    },
    "en": {
        "title": "Referral of a suspected ring defrauding the medical-insurance fund",
        "ring": "Ring", "scheme": "Scheme", "score": "Score", "run": "Detection run", "source": "Ring source",
        "tool": "Produced by", "data_as_of": "Data as of", "drops": "Data drops (id and fingerprint)",
        "masking": "Personal data", "masked": "masked (names, ID numbers, phones, addresses, birth dates partly hidden)",
        "unmasked": "NOT masked (exported by an authorised user; handle as confidential)",
        "s_loss": "1. Fund loss", "total_loss": "Total fund loss",
        "settlements_total": "Fund paid on settlements", "claims_total": "Maternity claims", "n_txn": "transactions",
        "method": "Method: transaction by transaction. For each of the ring's settlements its fund_paid, and for each "
                  "maternity claim its amount, each transaction counted once, summed in decimal arithmetic exact to "
                  "the cent. Every transaction is listed in the settlements and claims annexes.",
        "reported": "Fund loss reported by detection", "differs": "differs from the transaction-by-transaction total, which prevails",
        "missing": "These transaction ids are not in the data and are not counted:",
        "per_facility": "Per facility (maternity claims per employer)", "per_member": "Per member",
        "per_member_note": "A transaction that involves several members (patient, card, facility, ...) counts for each "
                           "of them, so per-member figures can add up to more than the total; per-facility figures add "
                           "up to the total.",
        "s_members": "2. Members and roles", "type": "Type", "id": "Id", "role": "Role", "name": "Name",
        "details": "Details", "n_settlements": "Settlements", "fund_paid": "Fund paid", "claims": "Claims",
        "amount": "Amount", "count": "Count", "kind": "Kind", "involved": "Involved",
        "s_timeline": "3. Timeline", "period_day": "per day", "period_week": "per week (from Monday)",
        "period_month": "per month", "date": "Date", "cards": "Cards", "facilities": "Facilities",
        "admissions": "Admissions", "more_rows": "{n} more rows in the annexes.",
        "s_evidence": "4. Evidence", "detection_evidence": "Why detection flagged the ring",
        "chains": "Trace-code resale chains (boxes reimbursed more than once)",
        "trace_code": "Trace code", "drug": "Drug", "chain": "Reimbursements in order (settlement@facility, date, card)",
        "times": "Times", "correction": "(same card, facility and day: possibly a correction)",
        "shared_devices": "Devices used for several cards", "shared_operators": "Operators who settled for several cards",
        "first": "First", "last": "Last", "co_admissions": "Same-day admissions", "patients": "Patients",
        "shared_contacts": "Shared contact details", "field": "Field", "value": "Value",
        "employers": "Employers", "registered": "Registered", "agent": "Agency", "employees": "Employees",
        "min_days": "Shortest employment before a claim (days)", "none": "none",
        "s_triage": "5. Triage history", "changed_at": "When", "changed_by": "By", "change": "Status change",
        "assignee": "Assignee", "note": "Note", "no_triage": "The ring has no triage history.",
        "status": {"new": "new", "investigating": "investigating", "confirmed": "confirmed", "dismissed": "dismissed"},
        "s_evidence_rows": "7. Evidence rows (the transactions behind each item)", "evidence_ref": "rows {no}: {n}",
        "evidence_ref_none": "{no}: member facts, no transaction",
        "data_refs": "Transactions in part 7, {first}–{last}.",
        "basis_fact": "every settlement of the ring on which the stated fact holds (stored rows, detection's rule)",
        "basis_listed": "every transaction the item lists", "basis_ring": "the item speaks of all of the ring's transactions",
        "ring_rows": " ({n}, those of part 6; each in evidence_rows.csv under {no}).",
        "record": "Transaction", "service": "Care / drugs", "more_evidence_rows": "{n} more in evidence_rows.csv ({no}).",
        "more_evidence_items": "Rows of {n} more items in evidence_rows.csv.",
        "signoff": "Sign-off", "prepared_by": "Prepared by (signature)", "reviewed_by": "Reviewed by (signature)",
        "sign_date": "Date", "sign_date_blank": "", "seal": "Seal of the bureau",
        "s_transactions": "6. Transactions", "settled_at": "Settled at", "card": "Card", "facility": "Facility",
        "patient": "Patient", "transactions_in_annex": "The ring made {n} settlements; each is listed in settlements.csv / annexes.xlsx.",
        "s_annexes": "8. Contents of the package", "file": "File",
        "annex_note": "This package is a BagIt bag: manifest-sha256.txt holds the SHA-256 of every file; check it with ringscope verify.",
        "phone": "Phone", "address": "Address", "yes": "yes",
    },
}


# One vocabulary: scheme, entity and role names come from the explorer's catalogue (app/messages, with
# the messages a registered scheme brings), so the explorer, the weekly report and the referral name
# things the same way; the tables above remain only as the fallback for a code the catalogue does not know.
def scheme_name(scheme: str, lang: str) -> str:
    fallback = INSTITUTION_CASE[lang] if scheme == "drg" else scheme
    return Translator(lang).maybe(f"scheme.{scheme}", fallback)


def entity_name(entity_type: str, lang: str) -> str:
    return Translator(lang).maybe(f"entity.{entity_type}", ENTITY[lang].get(entity_type, entity_type))


def role_name(role: str, lang: str) -> str:
    fallback = ROLES_ZH.get(role.lower(), role) if lang == "zh" else role
    return Translator(lang).maybe(f"role.{role.strip().lower().replace(' ', '_')}", fallback)


DRG_T: dict[str, dict[str, Any]] = {  # an institution's DRG cases (scheme ``drg``, app.export.institution): no ring, no members
    "zh": {
        "title": "定点医疗机构涉嫌 DRG/DIP 支付违规案件移送材料",
        "ring": "案件编号", "source": "案件来源", "s_members": "二、涉及机构与参保人（非团伙）",
        "settlements_total": "违规造成的基金额外支出",
        "method": "计算方法：按《医疗保障基金使用监督管理条例实施细则》，损失为违法行为造成的基金额外支出，逐笔计算后汇总："
                  "低码高编为已付病组与病案支持病组的支付差额；分解住院为合并住院之外多出的各次住院支付；"
                  "转嫁费用为转出结算的基金支付部分。转嫁给参保人个人负担的费用不计入基金损失，另在附件中列明。"
                  "逐笔明细见附件 drg_episodes.csv。",
        "per_member": "按机构与参保人汇总",
        "per_member_note": "参保人一栏为其病例的基金额外支出；机构一栏为合计。",
        "detection_evidence": "筛查依据（各案件）",
        "transactions_in_annex": "本机构案件共涉及 {n} 笔结算，逐笔明细见附件 settlements.csv / drg_episodes.csv。",
    },
    "en": {
        "title": "Referral of a medical institution for suspected DRG/DIP payment violations",
        "ring": "Case file", "source": "Case source", "s_members": "2. Institution and patients (not a ring)",
        "settlements_total": "Additional fund expenditure caused",
        "method": "Method: per the Detailed Rules for the Regulations on the Supervision of Medical Security Funds, "
                  "the loss is the additional fund expenditure the acts caused, settlement by settlement, then "
                  "totalled: for up-coding the paid group's payment minus the supported group's; for split "
                  "admissions what the fund paid for the admissions beyond one combined stay; for cost shifting the "
                  "fund share of the shifted settlements. Costs shifted to the patient are not a fund loss and are "
                  "listed apart in the annex. Every line is in drg_episodes.csv.",
        "per_member": "Per institution and patient",
        "per_member_note": "A patient's figure is the additional fund expenditure of their cases; the institution's is "
                           "the total.",
        "detection_evidence": "Why the screens flagged each case",
        "transactions_in_annex": "The institution's cases involve {n} settlements; each is listed in settlements.csv "
                                 "and drg_episodes.csv.",
    },
}


def terms(scheme: str, lang: str) -> dict[str, Any]:
    """The document's words for a subject of ``scheme`` (an institution's DRG cases differ from a ring's)."""
    return {**T[lang], **DRG_T[lang]} if scheme == "drg" else T[lang]
