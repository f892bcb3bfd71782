"""Rings for explorer tests: a rings.json made from a drop's ground truth.

Until ``ringscope detect`` runs in tests, the truth files (data contract,
section 2) give realistic rings with known members and settlements.
"""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

EVIDENCE = {
    "trace_resale": ("The same drug box (trace code) was reimbursed in {n} settlements.",
                     "同一药品追溯码在 {n} 笔结算中被重复报销。"),
    "borrowed_cards": ("{n} settlements used cards of other people.", "{n} 笔结算冒用他人医保卡。"),
    "car_shuttle": ("{n} admissions of patients brought in together.", "{n} 次住院为集中接送的病人。"),
    "over_prescription": ("{n} prescriptions far above the daily maximum.", "{n} 张处方远超每日最大用量。"),
    "maternity": ("{n} maternity claims through employers registered shortly before.",
                  "{n} 笔生育津贴经由新注册单位申领。"),
}


def rings_from_truth(drop: Path) -> dict:
    members: dict[str, list[dict]] = defaultdict(list)
    schemes: dict[str, str] = {}
    with open(drop / "truth" / "rings.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            members[row["ring_id"]].append({"type": row["entity_type"], "id": row["entity_id"], "role": row["role"]})
            schemes[row["ring_id"]] = row["scheme"]
    txns: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    with open(drop / "truth" / "ring_settlements.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            txns[row["ring_id"]].append((row["kind"], row["txn_id"], float(row["loss"] or 0)))
    rings = []
    for i, ring_id in enumerate(sorted(members)):
        t = txns.get(ring_id, [])
        en, zh = EVIDENCE.get(schemes[ring_id], ("{n} transactions.", "{n} 笔交易。"))
        rings.append({
            "ring_id": f"R-{i + 1:06d}", "scheme": schemes[ring_id], "score": round(0.99 - i * 0.01, 4),
            "members": members[ring_id], "fund_loss": round(sum(x[2] for x in t), 2),
            "settlement_ids": sorted(x[1] for x in t if x[0] == "settlement"),
            "claim_ids": sorted(x[1] for x in t if x[0] == "claim"),
            "evidence": [{"kind": "summary", "text": en.format(n=len(t)), "text_zh": zh.format(n=len(t))}],
        })
    return {"contract": 1, "generated_at": "2026-11-24T10:00:00+08:00", "rings": rings}


def write_rings_json(drop: Path, out: Path) -> Path:
    out.write_text(json.dumps(rings_from_truth(drop), ensure_ascii=False, indent=1), encoding="utf-8")
    return out
