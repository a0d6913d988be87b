"""The two national forces a conversation can be routed to (the contract's ``service``)."""

from enum import StrEnum


class Force(StrEnum):
    POLICE = "police"
    GENDARMERIE = "gendarmerie"


AUTO = "auto"
"""Requested service meaning: choose from the location, else whichever force is free first."""
