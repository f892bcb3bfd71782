"""Personal data: masked by default in every file; clear only for a user with the right; audit-logged."""
from __future__ import annotations

import pytest

from ringscope.app import audit
from ringscope.app.export.access import ExportDenied
from ringscope.app.pii import find_unmasked_id_numbers
from tests.export.case_drop import ID_NUMBERS, PHONE
from tests.export.unpack import all_text, csv_rows

NAMES = ("张三", "李四", "王五")


def test_masked_package_holds_no_id_number_phone_or_name(masked_zip, tmp_path):
    texts = all_text(masked_zip, tmp_path)
    assert any(n.endswith(".pdf") for n in texts) and any(n.endswith(".xlsx") for n in texts)
    for name, text in texts.items():
        for secret in ID_NUMBERS + (PHONE,) + NAMES:
            assert secret not in text, f"{secret} in {name}"
        assert not find_unmasked_id_numbers(text), name
    members = {r["id"]: r for r in csv_rows(masked_zip, "members")}
    assert members["P001"]["name"] == "张*"
    assert members["P001"]["id_number"].startswith("1101") and "*" in members["P001"]["id_number"]


def test_unmasked_package_for_a_user_with_the_right(unmasked_zip, case):
    members = {r["id"]: r for r in csv_rows(unmasked_zip, "members")}
    assert members["P001"]["id_number"] == ID_NUMBERS[0]
    assert members["P001"]["name"] == "张三"
    events = audit.read_events(case.workspace, action="export", user="boss")
    assert any(e["details"]["unmasked"] for e in events)
    assert audit.read_events(case.workspace, action="unmask", user="boss")


def test_unmask_refused_without_the_right(case):
    with pytest.raises(ExportDenied, match="'unmask' right"):
        case.export("refused.zip", user=case.clerk, unmask=True)
    assert not (case.root / "refused.zip").exists()
    assert audit.read_events(case.workspace, action="export_denied", user="clerk")


def test_export_refused_without_the_export_right(case):
    with pytest.raises(ExportDenied, match="'export' right"):
        case.export("refused2.zip", user=case.analyst)
    assert not (case.root / "refused2.zip").exists()


def test_every_export_is_audit_logged(masked_zip, case):
    events = [e for e in audit.read_events(case.workspace, action="export") if e["details"]["file"] == str(masked_zip)]
    assert len(events) == 1
    assert events[0]["user"] == "boss" and events[0]["target"] == "ring:R-000001"
    assert events[0]["details"]["unmasked"] is False
