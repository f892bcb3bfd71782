"""A package checked against the workspace that made it: key, audit chain, export record.

Away from the bureau, ``verify`` can only check the manifests and the
signature.  With the workspace at hand it also checks that the package was
signed by the workspace's own key, that the audit log is an unbroken chain
that still holds the head written into the package's bag-info, and that the
log records this very export (its tag manifest's SHA-256).
"""
from __future__ import annotations

from pathlib import Path

from ringscope.app import audit
from ringscope.app.audit_chain import check_anchor, check_chain
from ringscope.app.export.bag import VerifyReport


def check_against_workspace(report: VerifyReport, workspace: Path) -> None:
    """Add to ``report.problems`` whatever the workspace's audit log contradicts."""
    chain = check_chain(audit.audit_path(workspace))
    head = str(report.info.get("Audit-Log-Head", ""))
    try:
        seq_text, digest = head.split()
        seq = int(seq_text)
    except ValueError:
        report.problems.append("bag-info has no Audit-Log-Head: the package predates the chained audit log")
    else:
        if seq:
            check_anchor(chain, seq, digest, "bag-info Audit-Log-Head")
    report.problems += [f"audit log: {p}" for p in chain.problems]
    exports = [e for e in audit.iter_events(workspace) if e.get("action") == audit.EXPORT
               and (e.get("details") or {}).get("sha256_tagmanifest") == report.tagmanifest_sha256]
    if not exports:
        report.problems.append(f"the audit log of {workspace} records no export of this package "
                               f"(tag manifest sha256 {report.tagmanifest_sha256[:16]}…)")
    else:
        report.info["Audit-Record"] = f"{exports[-1].get('at')} by {exports[-1].get('user')}"
