"""The bureau's Ed25519 key and the signature over a package's tag manifest.

Manifests alone prove that nothing changed *by accident*: whoever alters a
row can recompute every SHA-256, the Payload-Oxum and the tag manifest, and
the package verifies again.  A signature closes that gap.  The tag manifest
holds the SHA-256 of every tag file, and ``bag-info.txt`` and the payload
manifest hold the SHA-256 of everything else, so signing the tag manifest
signs the whole package.

``ringscope keys init`` creates the bureau key in ``<workspace>/keys/``
(private key PEM, mode 0600 in a 0700 folder; public key beside it) and
prints the public key and its fingerprint, to be handed to the receiving
police unit out of band (letter, phone).  The package carries the public key
too, in ``signature-ed25519.txt`` beside the tag manifest, so that anyone can
check the signature; checking that it is *the bureau's* key means comparing
the fingerprint ``verify`` prints with the one received out of band, or
passing the key to ``verify --public-key``.
"""
from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_DIR = "keys"
PRIVATE_KEY_FILE = "bureau-ed25519.pem"
PUBLIC_KEY_FILE = "bureau-ed25519.pub"
SIGNATURE_FILE = "signature-ed25519.txt"
SIGNED_FILE = "tagmanifest-sha256.txt"


class SigningError(Exception):
    """The key cannot be created, read or used; the message says which file and why."""


@dataclass(frozen=True)
class Signature:
    public_key: bytes  # raw 32 bytes
    signature: bytes  # raw 64 bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def fingerprint(public_key: bytes) -> str:
    """``SHA256:`` and the key's SHA-256 in groups of four hex digits (easy to read out on the phone)."""
    digest = hashlib.sha256(public_key).hexdigest()
    return "SHA256:" + " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def key_paths(workspace: Path | str) -> tuple[Path, Path]:
    folder = Path(workspace) / KEY_DIR
    return folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE


def init_key(workspace: Path | str, force: bool = False) -> bytes:
    """Create the bureau key; return the raw public key.  Refuses to replace a key unless ``force``."""
    private_path, public_path = key_paths(workspace)
    if private_path.exists() and not force:
        raise SigningError(f"{private_path} exists already; a new key would orphan every package signed with it "
                        "(use --force to replace it knowingly)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    raw_public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(private_path.parent, 0o700)
    partial = private_path.with_name(private_path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(partial, private_path)
    public_path.write_text(base64.b64encode(raw_public).decode("ascii") + "\n", encoding="ascii")
    return raw_public


def load_private_key(workspace: Path | str) -> Ed25519PrivateKey | None:
    """The bureau key, or ``None`` when ``keys init`` was never run (packages are then unsigned)."""
    private_path, _ = key_paths(workspace)
    if not private_path.exists():
        return None
    try:
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise SigningError(f"{private_path}: not a usable private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{private_path}: not an Ed25519 key")
    return key


def workspace_public_key(workspace: Path | str) -> bytes | None:
    key = load_private_key(workspace)
    if key is None:
        return None
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def parse_public_key(text: str) -> bytes:
    """A public key given as base64 of the raw 32 bytes (what ``keys init`` prints), or a file holding it."""
    candidate = text.strip()
    path = Path(candidate)
    if len(candidate) < 200 and path.is_file():
        candidate = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        raw = base64.b64decode(candidate, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SigningError(f"{text!r}: not an Ed25519 public key (base64 of 32 bytes, as `ringscope keys init` prints)")
    return raw


def sign_bag(bag_dir: Path, key: Ed25519PrivateKey) -> Signature:
    """Sign the bag's tag manifest and write ``signature-ed25519.txt`` beside it."""
    raw_public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    sig = Signature(raw_public, key.sign((bag_dir / SIGNED_FILE).read_bytes()))
    (bag_dir / SIGNATURE_FILE).write_text(
        f"Algorithm: Ed25519\nSigned-File: {SIGNED_FILE}\n"
        f"Public-Key: {base64.b64encode(sig.public_key).decode('ascii')}\n"
        f"Key-Fingerprint: {sig.fingerprint}\n"
        f"Signature: {base64.b64encode(sig.signature).decode('ascii')}\n", encoding="ascii")
    return sig


def read_signature(bag_dir: Path) -> Signature | None:
    """The signature file's key and signature, ``None`` when the package is unsigned."""
    path = bag_dir / SIGNATURE_FILE
    if not path.is_file():
        return None
    fields = {}
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    try:
        public = base64.b64decode(fields.get("Public-Key", ""), validate=True)
        signature = base64.b64decode(fields.get("Signature", ""), validate=True)
    except ValueError:
        raise SigningError(f"{SIGNATURE_FILE}: public key or signature is not base64") from None
    if fields.get("Algorithm") != "Ed25519" or fields.get("Signed-File") != SIGNED_FILE or len(public) != 32:
        raise SigningError(f"{SIGNATURE_FILE}: not an Ed25519 signature over {SIGNED_FILE}")
    return Signature(public, signature)


def signature_valid(bag_dir: Path, sig: Signature) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(sig.public_key).verify(sig.signature, (bag_dir / SIGNED_FILE).read_bytes())
    except (InvalidSignature, ValueError, OSError):
        return False
    return True
