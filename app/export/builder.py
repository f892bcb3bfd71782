"""``build_referral``: one ring in, one verified, audit-logged package out.

Steps: check the user's rights; read the ring (ring book or rings.json);
gather the case from the store (masked unless unmasking is allowed); write
the summary (HTML and PDF per language), the annexes (CSV and XLSX), the
ring graph (PNG and HTML) and the ring itself (ring.json) into a payload
folder; make it a BagIt bag with provenance in bag-info; zip it; verify the
zip; sign its tag manifest with the bureau key when ``ringscope keys init``
made one (``signing``); write the audit record; and only then move the zip
into place.  bag-info carries the audit log's head before the export
(``Audit-Log-Head``), and the export's audit record carries the tag
manifest's SHA-256, so package and log vouch for each other.  If the audit
log cannot be written the package is not delivered (``app.audit``).
"""
from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

from ringscope.app import audit
from ringscope.app.errors import UserError
from ringscope.app.export import access, annexes, graph_files, signing, summary, wording
from ringscope.app.export.bag import make_bag, replace_atomically, verify_package, zip_folder
from ringscope.app.export.case import CaseFile, gather_case
from ringscope.app.export.institution import SCHEME as DRG_SCHEME
from ringscope.app.export.institution import institution_subject
from ringscope.app.export.safe_names import printable, safe_component
from ringscope.app.ring_source import RingRecord, find_ring
from ringscope.app.version import __version__

CST = timezone(timedelta(hours=8))


def _ring_json(case: CaseFile) -> str:
    ring = case.ring
    doc = {
        "ring_id": ring.ring_id, "scheme": ring.scheme, "score": ring.score,
        **({"schemes": list(ring.schemes)} if ring.scheme == "mixed" else {}),
        "members": [{"type": m.type, "id": m.id, "role": m.role} for m in ring.members],
        "fund_loss": f"{case.fund_loss.total:.2f}",
        "fund_loss_reported_by_detection": None if ring.reported_fund_loss is None else f"{ring.reported_fund_loss:.2f}",
        "settlement_ids": list(ring.settlement_ids), "claim_ids": list(ring.claim_ids),
        "evidence": case.evidence.detection, "detection_run": ring.run_id, "run": ring.run_info,
        "personal_data": "masked" if case.masked else "unmasked",
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _description(ring: RingRecord) -> str:
    if ring.scheme == DRG_SCHEME:
        return (f"Referral package for suspected DRG/DIP payment violations, case file {printable(ring.ring_id)} "
                "/ 定点医疗机构涉嫌 DRG/DIP 支付违规案件移送材料")
    return f"Referral package for suspected fraud ring {printable(ring.ring_id)} ({ring.scheme}) / 涉嫌欺诈骗保团伙移送材料"


def _bag_info(case: CaseFile, user_name: str, export_time: datetime, audit_head: tuple[int, str]) -> dict[str, Any]:
    ring = case.ring
    return {
        "Source-Organization": "RingScope",
        "External-Identifier": printable(ring.ring_id),
        "External-Description": _description(ring),
        "Bagging-Date": export_time.date().isoformat(),
        "Bag-Software-Agent": f"RingScope {__version__} (bagit.py)",
        "RingScope-Version": __version__,
        "Ring-Id": printable(ring.ring_id),
        "Ring-Scheme": ring.scheme,
        "Detection-Run": printable(ring.run_id) or "unknown",
        "Detection-Run-Drops": " ".join(ring.run_info.get("drop_ids") or []) or "unknown",
        "Ring-Source": printable(ring.source),
        "Data-Drop": [f"{d['drop_id']} sha256:{d['fingerprint']}" for d in case.drops] or ["none"],
        "Data-As-Of": case.data_as_of or "unknown",
        "Fund-Loss-CNY": f"{case.fund_loss.total:.2f}",
        "Personal-Data": "masked" if case.masked else "unmasked",
        "Exported-By": printable(user_name),
        "Export-Time": export_time.isoformat(timespec="seconds"),
        "Audit-Log-Head": f"{audit_head[0]} {audit_head[1]}",
    }


def write_payload(case: CaseFile, payload: Path, langs: Sequence[str],
                  extra_files: dict[str, str] | None = None) -> list[str]:
    """Write every payload file under ``payload``; return their paths relative to it, sorted.

    ``extra_files`` (relative path -> text) are written too, e.g. the confirmed credit points.
    """
    title = f"{wording.terms(case.ring.scheme, 'en')['ring']} {printable(case.ring.ring_id)} — {case.ring.scheme}"
    annexes.write_annexes(case, payload / "annexes", title)
    for name, text in (extra_files or {}).items():
        (payload / name).parent.mkdir(parents=True, exist_ok=True)
        (payload / name).write_text(text, encoding="utf-8")
    lang0 = langs[0] if langs else "zh"
    graph_title = f"{wording.terms(case.ring.scheme, lang0)['ring']} {printable(case.ring.ring_id)} — {wording.scheme_name(case.ring.scheme, lang0)}"
    graph_files.write_graph_files(case, payload / "graph", graph_title, lang0)
    (payload / "ring.json").write_text(_ring_json(case), encoding="utf-8")
    names = [f"summary/summary-{lang}.{ext}" for lang in langs for ext in ("html", "pdf")]
    names += sorted(p.relative_to(payload).as_posix() for p in payload.rglob("*") if p.is_file())
    names = sorted(set(names))
    listed = [f"data/{n}" for n in names]
    (payload / "summary").mkdir(parents=True, exist_ok=True)
    for lang in langs:
        html = summary.render_html(case, lang, __version__, listed, graph_png="../graph/ring-graph.png")
        (payload / "summary" / f"summary-{lang}.html").write_text(html, encoding="utf-8")
        summary.write_pdf(html, payload, payload / "summary" / f"summary-{lang}.pdf")
    return names


def _allowed(who: Any, target: str, lang: Sequence[str], unmask: bool, config: Any) -> tuple[str, ...]:
    """The summary languages, once the user's rights are checked (a refusal is audited, then raised)."""
    langs = tuple(dict.fromkeys(lang))
    bad = [x for x in langs if x not in wording.LANGS]
    if bad or not langs:
        raise UserError(f"unknown summary language(s) {bad}; use zh and/or en")
    try:
        access.check_rights(who, unmask, config)
    except access.ExportDenied:
        audit.record(config.workspace, user=who.name, action="export_denied", target=target,
                     details={"unmask": unmask}, role=who.role)
        raise
    return langs


def build_referral(
    store: Any,
    ring_id: str,
    out_path: Path | str,
    *,
    user: Any,
    unmask: bool = False,
    lang: Sequence[str] = ("zh", "en"),
    config: Any,
    rings_file: Path | None = None,
    export_time: datetime | None = None,
    institution: str | None = None,
) -> Path:
    """Build the referral package for ``ring_id`` at ``out_path`` (a .zip) and return its path.

    store: an open :class:`ringscope.graph.store.Store`.
    ring_id: the ring to refer, as detection named it.
    out_path: where the zip goes (replaced atomically if it exists).
    user: an ``app.auth.User`` (the explorer's logged-in user), or a name when no users are configured.
    unmask: leave personal data in clear; needs the ``unmask`` right.
    lang: languages of the summary document, from ``("zh", "en")``.
    config: the :class:`ringscope.app.config.RingScopeConfig` (workspace for the audit log, users).
    rings_file: read the ring from this rings.json instead of the ring book.
    export_time: the time stamped into bag-info (default: now, China Standard Time).
    institution: refer this institution's DRG payment cases instead of a ring (``ring_id`` is then
        ignored): for an institution that splits admissions, up-codes or shifts costs but runs no ring.

    Raises ``access.ExportDenied`` when the user lacks a right, ``UserError`` when the ring
    cannot be found, ``audit.AuditError`` when the audit log cannot be written.
    """
    who = access.as_user(user)
    target = f"institution:{institution}" if institution is not None else f"ring:{ring_id}"
    langs = _allowed(who, target, lang, unmask, config)
    ring = _subject(store, config, ring_id, institution, rings_file)
    when = (export_time or datetime.now(CST)).astimezone(CST).replace(microsecond=0)
    out_path = Path(out_path)
    con = store.relational().cursor()
    try:
        case = gather_case(con, ring, masked=not unmask, settings=_card_pool_settings(config))
        extra = _credit_points_annex(con, ring.ring_id, config)
    finally:
        con.close()
    root = f"referral-{safe_component(ring.ring_id)}"
    with tempfile.TemporaryDirectory(prefix="ringscope-export-") as tmp:
        bag_dir = Path(tmp) / root
        write_payload(case, bag_dir, langs, extra)
        make_bag(bag_dir, _bag_info(case, who.name, when, audit.head(config.workspace)))
        key = _bureau_key(config.workspace)
        if key is not None:
            signing.sign_bag(bag_dir, key)
        tmp_zip = Path(tmp) / "package.zip"
        zip_folder(bag_dir, tmp_zip, root)
        report = verify_package(tmp_zip)
        if not report.ok:
            raise UserError("the package failed its own check: " + "; ".join(report.lines()))
        _record_export(config.workspace, who, target, ring, out_path, unmask, langs, when,
                       _tagmanifest_digest(bag_dir))
        replace_atomically(tmp_zip, out_path)
    return out_path


def _subject(store: Any, config: Any, ring_id: str, institution: str | None, rings_file: Path | None) -> RingRecord:
    """What the package refers: the ring, or an institution's DRG cases when ``institution`` is named."""
    if institution is None:
        return find_ring(config.workspace, store.relational(), ring_id, rings_file)
    app_config = {**config.app, **({"rings_file": str(rings_file)} if rings_file else {})}
    return institution_subject(config.workspace, store.relational(), institution, app_config)


def _record_export(workspace: Path, who: Any, target: str, ring: RingRecord, out_path: Path, unmask: bool,
                   langs: Sequence[str], when: datetime, tagmanifest_sha256: str) -> None:
    """The export's audit record (which ``verify --workspace`` finds by the tag manifest's digest)."""
    audit.record(workspace, user=who.name, action=audit.EXPORT, target=target,
                 role=who.role, details={
                     "file": str(out_path.resolve()), "unmasked": unmask, "languages": list(langs),
                     "sha256_tagmanifest": tagmanifest_sha256,
                     "export_time": when.isoformat(), "detection_run": ring.run_id,
                 })
    if unmask:  # an unmasked export is also an unmasking, logged as the explorer logs one
        audit.record(workspace, user=who.name, action=audit.UNMASK, target=target,
                     role=who.role, details={"via": "referral export", "file": str(out_path.resolve())})


def _card_pool_settings(config: Any) -> Any:
    """Detection's card-pool settings from the configuration (the rows behind its sentences use them)."""
    from ringscope.app.detection import detection_settings

    return detection_settings(config).borrowed_cards


def _bureau_key(workspace: Path) -> Any:
    try:
        return signing.load_private_key(workspace)
    except signing.SigningError as exc:
        raise UserError(f"cannot sign the package: {exc}") from None


def _credit_points_annex(con: Any, ring_id: str, config: Any) -> dict[str, str]:
    """The ring's confirmed credit points (app.points) as annexes/credit-points.csv; none confirmed: no file."""
    from ringscope.app.points.service import registry_csv, registry_rows
    from ringscope.app.points.settings import PointSettings

    rows = registry_rows(con, PointSettings.from_config(config.app, config.workspace), ring_ids=[ring_id])
    return {"annexes/credit-points.csv": registry_csv(rows)} if rows else {}


def _tagmanifest_digest(bag_dir: Path) -> str:
    import hashlib

    return hashlib.sha256((bag_dir / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
