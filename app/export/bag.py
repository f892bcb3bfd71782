"""The package: a BagIt bag (RFC 8493) with SHA-256 manifests, zipped reproducibly.

``bagit`` (the Library of Congress implementation) writes the manifests and
tag files; the declaration is then set to ``BagIt-Version: 1.0`` (RFC 8493;
bagit.py still writes 0.97 by default) and the tag manifest rewritten.

The zip is reproducible: entries in sorted order, every entry stamped
1980-01-01 00:00 with mode 0644, deflate at a fixed level, no extra fields.
Two packages built from the same case therefore differ only where the
export time is written (``bag-info.txt``, and the tag manifest's line for it).

:func:`verify_package` unzips into a temporary folder (refusing entries that
would land outside it, a name that is both a file and a folder, and zip
bombs), checks every file against the manifests and names each file added,
missing or changed.  Zip bombs are refused twice over: from the sizes the
zip declares before anything is unpacked (each entry at most
``MAX_ENTRY_BYTES``, all at most ``MAX_TOTAL_BYTES``, and no entry above
1 MiB expanding more than ``MAX_RATIO`` times), and while unpacking, where
every entry is streamed and cut off as soon as it outgrows what it declared.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import bagit

from ringscope.app.export import signing

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BAGIT_DECLARATION = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
ALGORITHM = "sha256"

# Zip-bomb limits.  A referral of a large ring is some tens of MiB; CSV and
# JSON compress 5-20 times, a PDF with its font about twice.
MAX_ENTRY_BYTES = 1 << 30
MAX_TOTAL_BYTES = 2 << 30
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 1 << 20


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
    signed: bool = False  # a valid Ed25519 signature over the tag manifest
    fingerprint: str = ""  # of the key that signed it
    tagmanifest_sha256: str = ""  # what the export's audit record names

    @property
    def ok(self) -> bool:
        return not (self.added or self.missing or self.changed or self.problems)

    def lines(self) -> list[str]:
        out = [f"added (not in any manifest): {f}" for f in self.added]
        out += [f"missing (listed in a manifest, not in the package): {f}" for f in self.missing]
        out += [f"changed (SHA-256 differs from the manifest): {f}" for f in self.changed]
        out += [f"invalid: {p}" for p in self.problems]
        return out


def _check_name(info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name).parts
    if name.startswith("/") or "\\" in name or ".." in parts or (parts and ":" in parts[0]):
        raise PackageError(f"unsafe path in the zip: {name!r}; refusing to unpack it")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise PackageError(f"symbolic link in the zip: {name!r}; refusing to unpack it")


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb from the sizes it declares, before anything is written."""
    total = 0
    for info in members:
        if info.file_size > MAX_ENTRY_BYTES:
            raise PackageError(f"{info.filename!r} would unpack to {info.file_size:,} bytes, more than "
                               f"{MAX_ENTRY_BYTES:,}; refusing it (zip bomb?)")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PackageError(f"{info.filename!r} expands {info.file_size // max(info.compress_size, 1):,} "
                               f"times (more than {MAX_RATIO}); refusing it (zip bomb?)")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise PackageError(f"the zip would unpack to {total:,} bytes, more than {MAX_TOTAL_BYTES:,}; refusing it")


def _check_clashes(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a name that is a file in one entry and a folder in another (``data/x`` and ``data/x/y``)."""
    files = {m.filename for m in members if not m.is_dir()}
    folders = {m.filename.rstrip("/") for m in members if m.is_dir()}
    for name in {m.filename.rstrip("/") for m in members}:
        folders.update(str(p) for p in PurePosixPath(name).parents if str(p) != ".")
    clash = sorted(files & folders)
    if clash:
        raise PackageError(f"the zip holds {clash[0]!r} both as a file and as a folder; a package never does "
                           "(tampered?)")


def _safe_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = []
    seen: set[str] = set()
    for info in zf.infolist():
        name = info.filename
        if name in seen:
            raise PackageError(f"the zip holds {name!r} twice; a package never does (tampered?)")
        seen.add(name)
        _check_name(info)
        members.append(info)
    _check_sizes(members)
    _check_clashes(members)
    return members


def _unpack(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Stream one entry to ``target``, stopping as soon as it outgrows its declared size."""
    written = 0
    with zf.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > info.file_size or written > MAX_ENTRY_BYTES:
                raise PackageError(f"{info.filename!r} unpacks to more than the {info.file_size:,} bytes it "
                                   "declares; refusing it (zip bomb?)")
            dst.write(chunk)


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
    if tagmanifest.is_file():
        report.tagmanifest_sha256 = _sha256(tagmanifest)
    on_disk = {p.relative_to(bag_dir).as_posix() for p in bag_dir.rglob("*") if p.is_file() or p.is_symlink()}
    own = {f"tagmanifest-{ALGORITHM}.txt", signing.SIGNATURE_FILE}
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


def check_signature(bag_dir: Path, report: VerifyReport, expected_key: bytes | None = None) -> None:
    """Check the Ed25519 signature over the tag manifest; with ``expected_key``, also whose key signed."""
    try:
        sig = signing.read_signature(bag_dir)
    except signing.SigningError as exc:
        report.problems.append(str(exc))
        return
    if sig is None:
        if expected_key is not None:
            report.problems.append(f"the package is not signed, but a signature by {signing.fingerprint(expected_key)} "
                                   "was expected")
        return
    report.fingerprint = sig.fingerprint
    if not signing.signature_valid(bag_dir, sig):
        report.problems.append(f"the signature does not match the tag manifest (key {sig.fingerprint}): "
                               "the package was changed after it was signed")
        return
    if expected_key is not None and sig.public_key != expected_key:
        report.problems.append(f"signed by key {sig.fingerprint}, not by the expected key "
                               f"{signing.fingerprint(expected_key)}")
        return
    report.signed = True


def verify_package(path: Path | str, expected_key: bytes | None = None) -> VerifyReport:
    """Unzip a package to a temporary folder and check it; see :class:`VerifyReport`.

    ``expected_key`` (raw Ed25519 public key) requires the package to be signed by that key.
    Raises :class:`PackageError` (one line) for anything that is not a package that can be checked.
    """
    path = Path(path)
    report = VerifyReport(path=str(path))
    if not path.is_file():
        raise PackageError(f"{path}: no such file")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path}: not a zip file ({exc})") from None
    with zf, tempfile.TemporaryDirectory(prefix="ringscope-verify-") as tmp:
        members = _safe_members(zf)
        roots = {PurePosixPath(m.filename).parts[0] for m in members if PurePosixPath(m.filename).parts}
        if len(roots) != 1:
            raise PackageError(f"{path}: expected one top folder holding the bag, found {len(roots)}")
        try:
            _unpack_all(zf, members, Path(tmp))
        except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise PackageError(f"{path}: cannot unpack: {exc}") from None
        report.bag_root = roots.pop()
        bag_dir = Path(tmp) / report.bag_root
        if not (bag_dir / "bagit.txt").is_file():
            report.missing.append("bagit.txt")
        check_bag(bag_dir, report)
        check_signature(bag_dir, report, expected_key)
    return report


def _unpack_all(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], tmp: Path) -> None:
    for info in members:
        target = tmp / info.filename
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _unpack(zf, info, target)


def replace_atomically(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` so that a reader never sees half a package (copy beside, then rename)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = dst.with_name(dst.name + ".partial")
    shutil.copyfile(src, partial)
    os.replace(partial, dst)
