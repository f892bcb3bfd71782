"""Two exports of the same ring from the same data differ only in the export time."""
from __future__ import annotations

import zipfile

from tests.export.unpack import entries


def test_only_export_time_differs(masked_zip, masked_zip_later):
    with zipfile.ZipFile(masked_zip) as a, zipfile.ZipFile(masked_zip_later) as b:
        assert [(i.filename, i.date_time) for i in a.infolist()] == [(i.filename, i.date_time) for i in b.infolist()]
        assert [i.filename for i in a.infolist()] == sorted(i.filename for i in a.infolist())
    ea, eb = entries(masked_zip), entries(masked_zip_later)
    differing = sorted(k for k in ea if ea[k] != eb[k])
    root = next(iter(ea)).split("/")[0]
    # the signature signs the tag manifest, which names bag-info's digest
    assert differing == [f"{root}/bag-info.txt", f"{root}/signature-ed25519.txt", f"{root}/tagmanifest-sha256.txt"]
    info_a = ea[f"{root}/bag-info.txt"].decode().splitlines()
    info_b = eb[f"{root}/bag-info.txt"].decode().splitlines()
    changed = sorted({line.split(":")[0] for line in set(info_a) ^ set(info_b)})
    assert changed == ["Audit-Log-Head", "Bagging-Date", "Export-Time"]  # the log grew by the first export
    tag_a = ea[f"{root}/tagmanifest-sha256.txt"].decode().splitlines()
    tag_b = eb[f"{root}/tagmanifest-sha256.txt"].decode().splitlines()
    assert sorted({line.split()[1] for line in set(tag_a) ^ set(tag_b)}) == ["bag-info.txt"]
