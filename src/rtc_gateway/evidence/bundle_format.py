"""Names of the files in an evidence bundle, shared by exporter and verifier.

The zip container itself is laid out by ``bundle_zip``.

::

    manifest.json        {"algorithm": "sha256", "files": {name: hex digest}} of every other file
    bundle.json          what was exported: origin, conversation, export record, media flag,
                         consistency proofs from the checkpoints of earlier exports
    records.json         the conversation's records up to the export record, each with its
                         text, salt and inclusion proof to the checkpoint
    checkpoint.note      the signed checkpoint (C2SP tlog-checkpoint + signed note)
    keys/log.vkey        the log's verifier key (C2SP signed-note vkey)
    keys/rotations/*.note key rotation statements, oldest first
    earlier/<size>.note  checkpoints of earlier exports of this conversation
    recordings/...       the video recordings, unless exported without media
    attachments/<sha256> the files attached to a case, unless exported without media
    transcript.html, transcript.pdf   readable renderings (not evidence)
    verifier/rtc_gateway/...  the sources of the verifier that reads this format
    README.txt           how to verify, with which verifier
"""

from collections.abc import Iterable
from typing import Any

FORMAT = "rtc-gateway-evidence-bundle/1"
MANIFEST = "manifest.json"
BUNDLE = "bundle.json"
RECORDS = "records.json"
CHECKPOINT = "checkpoint.note"
VERIFIER_KEY = "keys/log.vkey"
ROTATIONS_DIR = "keys/rotations/"
EARLIER_DIR = "earlier/"
RECORDINGS_DIR = "recordings/"
ATTACHMENTS_DIR = "attachments/"
TRANSCRIPT_HTML = "transcript.html"
TRANSCRIPT_PDF = "transcript.pdf"
README = "README.txt"
VERIFIER_DIR = "verifier/"
VERIFIER_SOURCES = (
    "rtc_gateway/__init__.py",
    "rtc_gateway/evidence/__init__.py",
    "rtc_gateway/evidence/bundle_format.py",
    "rtc_gateway/evidence/bundle_zip.py",
    "rtc_gateway/evidence/canonical_json.py",
    "rtc_gateway/evidence/checkpoint.py",
    "rtc_gateway/evidence/key_rotation.py",
    "rtc_gateway/evidence/merkle.py",
    "rtc_gateway/evidence/records.py",
    "rtc_gateway/evidence/signed_note.py",
    "rtc_gateway/evidence/verify.py",
)
"""The verifier and everything it imports (standard library and ``cryptography`` aside),
as paths below the package root; the exporter copies them under ``VERIFIER_DIR``."""


def safe_member_path(path: str) -> bool:
    """A relative path with no parent steps, usable inside the zip and the data dir."""
    parts = path.split("/")
    return (
        bool(path)
        and not path.startswith("/")
        and "\\" not in path
        and all(part not in ("", ".", "..") for part in parts)
    )


def recordings_of(kind: str, data: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    """Files a record vouches for, as (path under recordings/, SHA-256 hex, size or None).

    A ``video.ended`` record lists its ``recordings`` ({path, sha256, bytes, ...}); when it
    also names the room's ``manifest`` file, its SHA-256 is ``recording.sha256``.
    """
    if kind != "video.ended":
        return []
    found: list[tuple[str, str, int | None]] = [
        (str(item.get("path")), str(item.get("sha256")), item.get("bytes"))
        for item in data.get("recordings", [])
        if isinstance(item, dict)
    ]
    summary = data.get("recording")
    if isinstance(data.get("manifest"), str) and isinstance(summary, dict):
        found.append((data["manifest"], str(summary.get("sha256")), None))
    return found


def files_deleted_with_purge(kinds: Iterable[str]) -> bool:
    """Whether the records hold a ``case.purged`` one: the purged case's attachment files
    are deleted with it, so a bundle of it may lack them (their records stay)."""
    return "case.purged" in kinds


def attachments_of(kind: str, data: dict[str, Any]) -> list[tuple[str, int | None]]:
    """Files a ``case.attachment`` record vouches for, as (SHA-256 hex, size or None);
    the bundle holds each as ``attachments/<sha256>``."""
    sha256 = data.get("sha256")
    if kind != "case.attachment" or not isinstance(sha256, str):
        return []
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return []
    size = data.get("bytes")
    return [(sha256, size if isinstance(size, int) else None)]
