"""Reading tip files: JSON and CSV, and one clear line naming file, line and column for bad input."""
from __future__ import annotations

import json

import pytest

from ringscope.app.tips import store as tip_store
from ringscope.app.tips.intake import TipFileError, read_tip_file
from ringscope.app.tips.service import add_tip_file
from tests.drops import VALID_ID

GOOD = {"received_at": "2026-11-20T09:30:00", "channel": "wechat", "text": "举报内容",
        "entities": [{"type": "patient", "value": "P001"}]}


def test_json_object_list_and_csv_are_read(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    [tip] = read_tip_file(one)
    offset = tip.received_at.utcoffset()
    assert tip.channel == "wechat" and offset is not None and offset.total_seconds() == 8 * 3600
    many = tmp_path / "many.json"
    many.write_text(json.dumps({"tips": [GOOD, {**GOOD, "text": "另一条", "x_topic": "maternity"}]},
                               ensure_ascii=False), encoding="utf-8")
    tips = read_tip_file(many)
    assert [t.text for t in tips] == ["举报内容", "另一条"] and tips[1].extra == {"x_topic": "maternity"}
    csv_path = tmp_path / "tips.csv"
    csv_path.write_text("received_at,channel,text,contact,patient,phone,name\n"
                        "2026-11-20T09:30:00,hotline,药店回收药品,,P001;P002,13800000001,\n"
                        "2026-11-21T10:00:00,wechat,诊所刷卡,wx1,,,李四\n", encoding="utf-8-sig")
    tips = read_tip_file(csv_path)
    assert [(e.type, e.value) for e in tips[0].entities] == [("patient", "P001"), ("patient", "P002"),
                                                             ("phone", "13800000001")]
    assert tips[1].contact == "wx1" and tips[1].line == 3


@pytest.mark.parametrize("body, where", [
    ('{"received_at": "2026-11-20T09:30:00", "channel": "wechat",\n "text": "x",\n "entities": '
     '[{"type": "passport", "value": "1"}]}', ", line 3, column 2 (entities): tip 1: entity 1: entity type 'passport'"),
    ('{"received_at": "yesterday", "channel": "wechat", "text": "x", "entities": []}',
     ", line 1, column 2 (received_at): tip 1: received_at 'yesterday' is not a date-time"),
    ('[\n' + json.dumps(GOOD) + ',\n  {"channel": "wechat", "text": "x", "entities": []}\n]',
     ", line 3, column 3 (received_at): tip 2: missing key 'received_at'"),
    ('{"received_at": "2026-11-20T09:30:00", "channel": "wechat", "text": "x", "entities": '
     '[{"type": "id_number", "value": "110101199003074515"}]}', "check digit is wrong"),
    ('{"received_at": "2026-11-20T09:30:00", "channel": "wechat", "text": "x",\n "entities": [}',
     ", line 2, column 15: not valid JSON"),
])
def test_bad_json_names_file_line_column_and_reason(tmp_path, body, where):
    path = tmp_path / "bad.json"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TipFileError) as info:
        read_tip_file(path)
    message = str(info.value)
    assert message.startswith(str(path)) and where in message and "\n" not in message
    assert "110101199003074515" not in message  # an ID number never appears in an error


def test_bad_csv_cell_names_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("received_at,channel,text,phone\n2026-11-20T09:30:00,wechat,x,13800000001\n"
                    "2026-11-20T09:30:00,wechat,x,call me\n", encoding="utf-8")
    with pytest.raises(TipFileError, match=r"bad\.csv, line 3, column phone: phone must be digits"):
        read_tip_file(path)
    path.write_text("received_at,channel,txt\n", encoding="utf-8")
    with pytest.raises(TipFileError, match=r"line 1: missing column 'text'"):
        read_tip_file(path)


def test_a_file_with_one_bad_tip_stores_nothing(tip_env, tmp_path):
    _cfg, ctx, store = tip_env
    path = tmp_path / "mixed.csv"
    path.write_text(f"received_at,channel,text,id_number\n2026-11-20T09:30:00,wechat,ok,{VALID_ID}\n"
                    "2026-11-20T09:31:00,,no channel,\n", encoding="utf-8")
    with pytest.raises(TipFileError, match="line 3, column channel: channel is empty"):
        add_tip_file(ctx, store, path, "li")
    assert tip_store.list_tips(store.relational()) == []
