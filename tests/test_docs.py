"""The repository's documents stand alone: no pointer outside the repository, no word of
the workplace the project was written in (its tickets, work sessions, people's roles)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted([ROOT / "README.md", ROOT / "loadtest" / "README.md",
                    *(ROOT / "docs").glob("*.md")])

JARGON = {
    "a path outside the repository": r"\.\./shared|/work/|(?<![\w.])shared/[A-Z]+\.md",
    "a ticket number": r"\bissues?\s*#?\d+|\bticket\s*#?\d+",
    "a work session": (r"\b(?:first|second|third|fourth|fifth|sixth|previous|earlier|later"
                       r"|next|this|same|another|other)\s+session\b|\bsession's machine\b"
                       r"|\bsessions? \d\b"),
    "a role of the workplace": r"\bhelpers?\b|\bthe lead\b",
    "a tool of the workplace": r"\bfarm-bench\b|\bduplicates tool\b",
    "a design kept elsewhere": r"\btarget design\b|\bthe contract file\b",
}


def test_there_are_documents_to_check() -> None:
    assert len(DOCUMENTS) >= 8
    assert all(path.is_file() for path in DOCUMENTS)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_document_uses_no_workplace_jargon(path: Path) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {what}: {match.group(0)!r}"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        for what, pattern in JARGON.items()
        for match in re.finditer(pattern, line, re.IGNORECASE)
    ]
    assert found == []


def test_the_checks_catch_what_they_are_for() -> None:
    samples = ["see ../shared/PROTOCOL.md", "the targets of issue 4", "in the fourth session",
               "on this session's machine", "a helper did it", "ask the lead",
               "the target design is elsewhere", "/work/shared/ARCHITECTURE.md"]
    for sample in samples:
        assert any(re.search(p, sample, re.IGNORECASE) for p in JARGON.values()), sample
    for fine in ["the `session` event", "an Engine.IO session", "sessionStorage",
                 "a long-polling session upgrading", "shared with other workloads"]:
        assert not any(re.search(p, fine, re.IGNORECASE) for p in JARGON.values()), fine
