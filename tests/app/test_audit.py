"""The audit log: append-only JSON lines, who/what/when, refuses bad events."""
from __future__ import annotations

import json
import threading

import pytest

from ringscope.app import audit


def test_record_appends_one_json_line_per_event(tmp_path):
    audit.record(tmp_path, user="li.wei", action=audit.UNMASK, target="patient:P001", role="investigator")
    audit.record(tmp_path, "wang.fang", "export", "ring:R-000001", details={"file": "referral.zip"})
    lines = audit.audit_path(tmp_path).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["user"] == "li.wei" and first["action"] == "unmask" and first["target"] == "patient:P001"
    assert first["role"] == "investigator" and first["at"].endswith("+08:00")
    assert second["details"] == {"file": "referral.zip"}
    assert [e["user"] for e in audit.read_events(tmp_path, action="export")] == ["wang.fang"]


def test_earlier_events_are_never_rewritten(tmp_path):
    audit.record(tmp_path, "a", "unmask", "patient:P1")
    before = audit.audit_path(tmp_path).read_bytes()
    audit.record(tmp_path, "b", "unmask", "patient:P2")
    assert audit.audit_path(tmp_path).read_bytes().startswith(before)


def test_concurrent_writers_do_not_interleave(tmp_path):
    def write(n):
        for i in range(50):
            audit.record(tmp_path, f"u{n}", "unmask", f"patient:{i}", details={"pad": "x" * 500})
    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = audit.read_events(tmp_path)
    assert len(events) == 200


@pytest.mark.parametrize("user,action,target", [("", "unmask", "x"), ("u", "", "x"), ("u", "unmask", "")])
def test_incomplete_event_is_refused(tmp_path, user, action, target):
    with pytest.raises(audit.AuditError):
        audit.record(tmp_path, user, action, target)


def test_unwritable_log_raises_audit_error(tmp_path):
    blocker = tmp_path / "audit"
    blocker.write_text("not a folder")
    with pytest.raises(audit.AuditError):
        audit.record(tmp_path, "u", "export", "ring:R-1")
