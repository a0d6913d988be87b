"""Court-verifiable evidence: the hashed records, the RFC 6962 Merkle log, signed
checkpoints, export bundles and their offline verifier.

Modules an independent reader needs (standard library and ``cryptography`` only):
``canonical_json``, ``merkle``, ``records``, ``signed_note``, ``checkpoint``,
``key_rotation``, ``bundle_format`` and ``verify``. The format is specified in
``docs/evidence.md``. The log itself is ``adapters/sqlite/evidence_log.py``.
"""
