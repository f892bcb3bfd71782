"""The package: a BagIt bag (RFC 8493) with SHA-256 manifests, zipped reproducibly.

``bagit`` (the Library of Congress implementation) writes the manifests and
tag files; the declaration is then set to ``BagIt-Version: 1.0`` (RFC 8493;
bagit.py still writes 0.97 by default) and the tag manifest rewritten.

The zip is reproducible: entries in sorted order, every entry stamped
1980-01-01 00:00 with mode 0644, deflate at a fixed level, no extra fields.
Two packages built from the same case therefore differ only where the
export time is written (``bag-info.txt``, and the tag manifest's line for it).

:func:`verify_package` unzips into a temporary folder (refusing entries that
would land outside it), checks every file against the manifests and names
each file added, missing or changed.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import bagit

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BAGIT_DECLARATION = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
ALGORITHM = "sha256"


def make_bag(folder: Path, bag_info: dict[str, str | list[str]]) -> None:
    """Turn ``folder`` (the payload) into a bag in place."""
    logging.getLogger("bagit").setLevel(logging.WARNING)
    bag = bagit.make_bag(str(folder), dict(bag_info), processes=1, checksums=[ALGORITHM])
    (folder / "bagit.txt").write_text(BAGIT_DECLARATION, encoding="utf-8")
    bag = bagit.Bag(str(folder))
    bag.save(processes=1, manifests=False)


def zip_folder(folder: Path, out: Path, root: str) -> None:
    """Zip ``folder`` as ``root/...`` with sorted entries and constant timestamps."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in files:
            rel = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(f"{root}/{rel}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            with open(path, "rb") as fh:
                zf.writestr(info, fh.read(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)


class PackageError(Exception):
    """The file is not a referral package that can be checked (not a zip, unsafe paths, no bag)."""


@dataclass
class VerifyReport:
    path: str
    bag_root: str = ""
    files_checked: int = 0
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # anything else bagit found wrong
    info: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.added or self.missing or self.changed or self.problems)

    def lines(self) -> list[str]:
        out = [f"added (not in any manifest): {f}" for f in self.added]
        out += [f"missing (listed in a manifest, not in the package): {f}" for f in self.missing]
        out += [f"changed (SHA-256 differs from the manifest): {f}" for f in self.changed]
        out += [f"invalid: {p}" for p in self.problems]
        return out


def _safe_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = []
    seen: set[str] = set()
    for info in zf.infolist():
        name = info.filename
        if name in seen:
            raise PackageError(f"the zip holds {name!r} twice; a package never does (tampered?)")
        seen.add(name)
        parts = PurePosixPath(name).parts
        if name.startswith("/") or "\\" in name or ".." in parts or (parts and ":" in parts[0]):
            raise PackageError(f"unsafe path in the zip: {name!r}; refusing to unpack it")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise PackageError(f"symbolic link in the zip: {name!r}; refusing to unpack it")
        members.append(info)
    return members


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _read_manifest(path: Path) -> dict[str, str]:
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        entries[bagit._decode_filename(name.strip())] = digest.strip().lower()
    return entries


def check_bag(bag_dir: Path, report: VerifyReport) -> None:
    """Compare every file of an unpacked bag with its manifests; fill ``report``."""
    manifest = bag_dir / f"manifest-{ALGORITHM}.txt"
    tagmanifest = bag_dir / f"tagmanifest-{ALGORITHM}.txt"
    expected: dict[str, str] = {}
    for m in (manifest, tagmanifest):
        if m.is_file():
            expected.update(_read_manifest(m))
        else:
            report.missing.append(m.name)
    on_disk = {p.relative_to(bag_dir).as_posix() for p in bag_dir.rglob("*") if p.is_file() or p.is_symlink()}
    own = {f"tagmanifest-{ALGORITHM}.txt"}
    report.added += sorted(on_disk - set(expected) - own)
    report.missing += sorted(set(expected) - on_disk)
    for name in sorted(set(expected) & on_disk):
        report.files_checked += 1
        if _sha256(bag_dir / name) != expected[name]:
            report.changed.append(name)
    if report.ok:  # the library's own checks: declaration, Payload-Oxum, manifest syntax
        try:
            bag = bagit.Bag(str(bag_dir))
            bag.validate(processes=1)
            report.info = dict(bag.info)
        except (bagit.BagError, bagit.BagValidationError) as exc:
            report.problems.append(str(exc).splitlines()[0])


def verify_package(path: Path | str) -> VerifyReport:
    """Unzip a package to a temporary folder and check it; see :class:`VerifyReport`."""
    path = Path(path)
    report = VerifyReport(path=str(path))
    if not path.is_file():
        raise PackageError(f"{path}: no such file")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise PackageError(f"{path}: not a zip file") from None
    with zf, tempfile.TemporaryDirectory(prefix="ringscope-verify-") as tmp:
        members = _safe_members(zf)
        roots = {PurePosixPath(m.filename).parts[0] for m in members if PurePosixPath(m.filename).parts}
        if len(roots) != 1:
            raise PackageError(f"{path}: expected one top folder holding the bag, found {len(roots)}")
        for info in members:
            target = Path(tmp) / info.filename
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        report.bag_root = roots.pop()
        bag_dir = Path(tmp) / report.bag_root
        if not (bag_dir / "bagit.txt").is_file():
            report.missing.append("bagit.txt")
        check_bag(bag_dir, report)
    return report


def replace_atomically(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` so that a reader never sees half a package (copy beside, then rename)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = dst.with_name(dst.name + ".partial")
    shutil.copyfile(src, partial)
    os.replace(partial, dst)
