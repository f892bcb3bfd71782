"""``ringscope export RING_ID --out case.zip`` (or ``--institution FACILITY_ID``) and ``ringscope verify case.zip``.

``export`` builds the referral package for public security (docs/referral.md);
``verify`` checks one: every file against the SHA-256 manifests, naming each
file added, missing or changed, the Ed25519 signature over the tag manifest
(against ``--public-key`` or the workspace's key when given), and with
``--workspace`` the export's record in the audit log; exits 1 when anything
is wrong.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from ringscope.app.console import make_console
from ringscope.app.errors import UserError
from ringscope.app.export import PackageError, VerifyReport, build_referral, signing, verify_package
from ringscope.app.export.provenance import check_against_workspace
from ringscope.app.login import cli_user
from ringscope.app.options import ConfigOpt, StoreOpt, WorkspaceOpt, config_from
from ringscope.graph.factory import open_store

console = make_console()
err = make_console(stderr=True)


class SummaryLang(str, Enum):
    """A language of the referral's summary document (help lists the choices)."""

    zh = "zh"
    en = "en"


def export(
    ring_id: Optional[str] = typer.Argument(None, help="The ring to refer, e.g. R-000123 (or --institution)."),
    out: Path = typer.Option(..., "--out", "-o", help="The package to write (a .zip)."),
    unmask: bool = typer.Option(False, "--unmask", help="Leave personal data in clear (needs the 'unmask' right)."),
    user: Optional[str] = typer.Option(None, "--user", "-u", help="Who exports (audit log; rights when users are configured)."),
    lang: List[SummaryLang] = typer.Option([SummaryLang.zh, SummaryLang.en], "--lang", metavar="[zh|en]",
                                           help="Summary language(s): zh, en (repeat for both)."),
    rings: Optional[Path] = typer.Option(None, "--rings", help="Read the ring from this rings.json instead of the ring book."),
    institution: Optional[str] = typer.Option(
        None, "--institution", help="Refer this institution's DRG payment cases (no ring needed), e.g. H37010200004."),
    workspace: Optional[Path] = WorkspaceOpt,
    store: Optional[str] = StoreOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Build the referral package of one ring, or of one institution's DRG cases: summary (PDF/HTML, zh/en),
    annexes, graph, as a BagIt zip."""
    if (ring_id is None) == (institution is None):
        raise UserError("name either a ring (RING_ID) or an institution (--institution FACILITY_ID), not both")
    cfg = config_from(workspace, store, config)
    who = cli_user(cfg, user, via="cli:export")
    with open_store(cfg.store, read_only=True) as st:
        path = build_referral(st, ring_id or "", out, user=who, unmask=unmask, lang=tuple(x.value for x in lang),
                              config=cfg, rings_file=rings, institution=institution)
    report = verify_package(path)
    console.print(f"Wrote {path} ({path.stat().st_size:,} bytes, {report.files_checked} files checked, "
                  f"personal data {'UNMASKED' if unmask else 'masked'}).", highlight=False)


def verify(
    package: Path = typer.Argument(..., help="A referral package (.zip) made by `ringscope export`."),
    public_key: Optional[str] = typer.Option(None, "--public-key", help="The bureau's public key (base64, as "
                                             "`ringscope keys init` prints it, or a file holding it): the "
                                             "package must be signed by it."),
    workspace: Optional[Path] = typer.Option(None, "--workspace", "-w", help="The workspace that made the "
                                             "package: check its key and that its audit log records this export."),
) -> None:
    """Check a referral package: manifests, signature and, with --workspace, the export's audit record."""
    try:
        expected = _expected_key(public_key, workspace)
        report = verify_package(package, expected_key=expected)
        if workspace is not None and report.ok:
            check_against_workspace(report, workspace)
    except (PackageError, signing.SigningError) as exc:
        err.print(f"INVALID: {exc}", style="red", highlight=False, markup=False)
        raise typer.Exit(1) from None
    if report.ok:
        _print_valid(package, report, pinned=expected is not None)
        return
    err.print(f"INVALID: {package}", style="red", highlight=False, markup=False)
    for line in report.lines():
        err.print(f"  {line}", highlight=False, markup=False)
    raise typer.Exit(1)


def _expected_key(public_key: Optional[str], workspace: Optional[Path]) -> Optional[bytes]:
    if public_key:
        return signing.parse_public_key(public_key)
    if workspace is not None:
        return signing.workspace_public_key(workspace)
    return None


def _subject_word(info: dict) -> str:
    """An institution's DRG case file is no ring (bag-info Ring-Scheme ``drg``)."""
    return "institution case" if info.get("Ring-Scheme") == "drg" else "ring"


def _print_valid(package: Path, report: VerifyReport, pinned: bool) -> None:
    info = report.info
    console.print(f"VALID: {package}: {report.files_checked} files match their SHA-256 manifests "
                  f"({_subject_word(info)} {info.get('Ring-Id', '?')}, exported {info.get('Export-Time', '?')}, "
                  f"RingScope {info.get('RingScope-Version', '?')}).", highlight=False, markup=False)
    if report.signed:
        whose = "the expected key" if pinned else "a key you must compare with the bureau's"
        console.print(f"SIGNED by {whose}: {report.fingerprint}", highlight=False, markup=False)
    else:
        console.print("NOT SIGNED: the manifests prove the files were not damaged, not that nobody changed "
                      "them (anyone can recompute a manifest); ask for a signed package.", highlight=False,
                      markup=False)
    if "Audit-Record" in info:
        console.print(f"AUDIT: the workspace's log records this export ({info['Audit-Record']}); "
                      "the log's chain is intact.", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("verify")(verify)
