"""The revocations a node enforces, in memory: checking a token costs dict lookups only.

Filled from the :class:`~rtc_gateway.ports.revocations.RevocationStore` by
:class:`~rtc_gateway.security.revocation_sync.RevocationSync`, and by this node's own
citizen tokens as it mints them (queued to be stored on the next sync).
"""

from collections.abc import Iterable

from rtc_gateway.ports.revocations import EntryKind, RevocationEntry


class RevocationList:
    def __init__(self) -> None:
        self._staff_not_before: dict[str, int] = {}
        self._revoked_tokens: dict[str, int] = {}
        self._citizen_newest: dict[str, int] = {}
        self._citizen_expiry: dict[str, int] = {}
        self._citizen_grace: dict[str, tuple[int, int]] = {}
        self._unsaved: dict[tuple[str, str], RevocationEntry] = {}

    def staff_revoked(self, subject: str, token_id: str, generation: int) -> bool:
        """True for a staff token issued before its holder's revocation, or revoked itself."""
        return (generation < self._staff_not_before.get(subject, -1)
                or token_id in self._revoked_tokens)

    def citizen_superseded(self, subject: str, generation: int, now_us: int) -> bool:
        """True when a newer token was issued for this citizen identity, unless this is
        the token exchanged for it and its grace has not run out."""
        if generation >= self._citizen_newest.get(subject, -1):
            return False
        grace = self._citizen_grace.get(subject)
        return grace is None or grace[0] != generation or now_us >= grace[1]

    def citizen_issued(self, subject: str, generation: int, expires_us: int) -> None:
        """This node minted a citizen token: older ones of that identity end now."""
        entry = RevocationEntry(EntryKind.CITIZEN, subject, generation, expires_us)
        if self._take_citizen(entry):
            self._unsaved[(entry.kind, subject)] = entry

    def citizen_renewed(self, subject: str, presented: int, generation: int,
                        expires_us: int, grace_until_us: int) -> None:
        """The token of generation ``presented`` was exchanged for ``generation``: the
        presented one alone stays valid until ``grace_until_us`` (a reply lost on the
        way leaves its holder with it), or until the newer one is presented in turn."""
        if presented >= self._citizen_newest.get(subject, -1):
            grace = RevocationEntry(EntryKind.CITIZEN_GRACE, subject, presented,
                                    grace_until_us)
            if self._take_grace(grace):
                self._unsaved[(grace.kind, subject)] = grace
        self.citizen_issued(subject, generation, expires_us)

    def take_unsaved(self) -> list[RevocationEntry]:
        """Entries to store (the caller puts them back with :meth:`keep_unsaved` on failure)."""
        entries, self._unsaved = list(self._unsaved.values()), {}
        return entries

    def keep_unsaved(self, entries: Iterable[RevocationEntry]) -> None:
        for entry in entries:
            current = self._unsaved.get((entry.kind, entry.key))
            if current is None or current.value < entry.value:
                self._unsaved[(entry.kind, entry.key)] = entry

    def apply(self, entries: Iterable[RevocationEntry]) -> bool:
        """Take stored entries in; True if a staff revocation is among them."""
        staff = False
        for entry in entries:
            if entry.kind == EntryKind.CITIZEN:
                self._take_citizen(entry)
            elif entry.kind == EntryKind.CITIZEN_GRACE:
                self._take_grace(entry)
            elif entry.kind == EntryKind.STAFF:
                staff = True
                if entry.value > self._staff_not_before.get(entry.key, -1):
                    self._staff_not_before[entry.key] = entry.value
            elif entry.kind == EntryKind.TOKEN:
                staff = True
                self._revoked_tokens[entry.key] = entry.expires_us
        return staff

    def forget_expired(self, now_us: int) -> None:
        """Drop what can no longer matter: every token it concerned has expired."""
        for jti in [k for k, expiry in self._revoked_tokens.items() if expiry < now_us]:
            del self._revoked_tokens[jti]
        for subject in [k for k, expiry in self._citizen_expiry.items() if expiry < now_us]:
            del self._citizen_expiry[subject]
            del self._citizen_newest[subject]
        for subject in [k for k, (_, until) in self._citizen_grace.items() if until < now_us]:
            del self._citizen_grace[subject]

    def _take_grace(self, entry: RevocationEntry) -> bool:
        current = self._citizen_grace.get(entry.key)
        if current is not None and current[0] >= entry.value:
            return False
        self._citizen_grace[entry.key] = (entry.value, entry.expires_us)
        return True

    def _take_citizen(self, entry: RevocationEntry) -> bool:
        if entry.value <= self._citizen_newest.get(entry.key, -1):
            return False
        self._citizen_newest[entry.key] = entry.value
        self._citizen_expiry[entry.key] = max(entry.expires_us,
                                              self._citizen_expiry.get(entry.key, 0))
        return True
