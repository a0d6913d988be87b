"""Answers of ``/api/v1/units``, as msgspec structs (also the OpenAPI schemas)."""

import msgspec


class UnitView(msgspec.Struct, kw_only=True):
    id: str
    name: str
    force: str
    address: str
    postcode: str
    commune: str
    insee: str
    phone: str
    lat: float
    lon: float
    hours: dict[str, list[str]]
    """Monday to Sunday (``monday`` ...), local ranges ``HH:MM-HH:MM`` of Europe/Paris."""
    open_now: bool
    distance_km: float | None = None


class CommuneView(msgspec.Struct, kw_only=True):
    insee: str
    name: str
    department: str


class UnitsAnswer(msgspec.Struct, kw_only=True):
    force: str
    coverage: str
    """``directory`` (the place is in a listed commune) or ``approximate`` (outside it:
    the force comes from the coarse urban areas, and ``units`` is empty)."""
    units: list[UnitView]
    commune: CommuneView | None = None
