"""``rtc-gateway data import`` in a real process: good rows are written (0600), bad ones
are reported with their line and reason, and a gateway on that data directory serves
the imported directory instead of the sample."""

import stat
from pathlib import Path

import aiohttp

from tests.gateway.conftest import StartGateway
from tests.support.cli_process import run_cli

DAYS = "08:00-12:00,14:00-18:00;" * 6 + "fermé"
STATIONS = "\n".join([
    "Service;Force;Telephone;Adresse_geographique;Code_postal;Commune;Code_commune_insee;"
    "Departement;geocodage_y_GPS;geocodage_x_GPS;lundi;mardi;mercredi;jeudi;vendredi;"
    "samedi;dimanche",
    f"Commissariat de police de Brest;PN;02 61 91 00 01;1 rue Colbert;29200;Brest;29019;29;"
    f"48,3904;-4,4861;{DAYS}",
    f"Brigade territoriale autonome de Crozon;GN;02 61 91 00 02;2 rue de la Marne;29160;"
    f"Crozon;29042;29;48.2463;-4.4896;{DAYS}",
    f"Brigade territoriale autonome de Crozon;GN;02 61 91 00 02;2 rue de la Marne;29160;"
    f"Crozon;29042;29;48.2463;-4.4896;{DAYS}",
    f"Poste;Douanes;02 61 91 00 03;3 quai;29200;Brest;29019;29;48.39;-4.48;{DAYS}",
    f"Brigade de Morgat;GN;02 61 91 00 04;4 quai;29160;Crozon;29042;29;;-4.5;{DAYS}",
    f"Brigade de Papeete;GN;;5 rue;98714;Papeete;98735;987;-17.53;-149.56;{DAYS}",
    "Brigade de Landerneau;GN;;6 rue;29800;Landerneau;29103;29;48.45;-4.25;25:00-26:00",
    "Brigade de Châteaulin;GN;;7 rue;29150;Châteaulin;29026;29;48.19;-4.09;"
    "08:00-12:00;;;;;;;;;;extra",
])
COMPETENCE = "\n".join([
    "CODE_INSEE,COMMUNE,DEPARTEMENT,COMPETENCE,LATITUDE,LONGITUDE",
    "29019,Brest,29,PN,48.3904,-4.4861",
    "29042,Crozon,29,GN,48.2463,-4.4896",
    "29042,Crozon,29,GN,48.2463,-4.4896",
    "290,Trop court,29,GN,,",
    "29103,Landerneau,29,Marine,48.45,-4.25",
])


def _write(path: Path, text: str) -> Path:
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_stations_import_reports_each_bad_row(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = run_cli("data", "import", "stations", str(_write(tmp_path / "s.csv", STATIONS)),
                  "--data-dir", str(data))
    assert run.code == 0, run.err
    assert run.out.strip().startswith("stations: 2 imported, 6 skipped")
    assert "line 4: skipped: duplicate of line 3" in run.err
    assert "line 5: skipped: force 'Douanes' is not PN, GN" in run.err
    assert "line 6: skipped: latitude is missing" in run.err
    assert "line 7: skipped: latitude/longitude (-17.53, -149.56) is outside" in run.err
    assert "line 8: skipped: fields: 11, the header has 17" in run.err
    assert "line 9: skipped: fields: 21, the header has 17" in run.err
    assert "Traceback" not in run.err
    written = data / "directory" / "stations.csv"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    lines = written.read_text("utf-8").splitlines()
    assert len(lines) == 3 and lines[1].startswith("Commissariat de police de Brest;Police")


def test_competence_import_reports_duplicates_and_bad_forces(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = run_cli("data", "import", "competence", str(_write(tmp_path / "c.csv", COMPETENCE)),
                  "--data-dir", str(data))
    assert run.code == 0, run.err
    assert "competence: 2 imported, 3 skipped" in run.out
    assert "line 4: skipped: duplicate of line 3 (commune 29042)" in run.err
    assert "skipped 1 row(s) for force" in run.err


def test_a_file_of_the_wrong_kind_or_without_rows_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wrong = run_cli("data", "import", "stations", str(_write(tmp_path / "c.csv", COMPETENCE)),
                    "--data-dir", str(data))
    assert wrong.code == 2 and "is not a stations file: no column service" in wrong.err
    empty = run_cli("data", "import", "competence",
                    str(_write(tmp_path / "e.csv", COMPETENCE.splitlines()[0] + "\n290,x,,GN")),
                    "--data-dir", str(data))
    assert empty.code == 1 and "nothing written" in empty.err
    missing = run_cli("data", "import", "competence", str(tmp_path / "absent.csv"),
                      "--data-dir", str(data))
    assert missing.code == 1 and "absent.csv" in missing.err
    dry = run_cli("data", "import", "competence", str(tmp_path / "c.csv"), "--dry-run",
                  "--data-dir", str(data))
    assert dry.code == 0 and "dry run" in dry.out
    assert not (data / "directory").exists()


async def test_a_gateway_serves_the_imported_directory(tmp_path: Path,
                                                       start_gateway: StartGateway) -> None:
    data = tmp_path / "data"
    for kind, text in (("stations", STATIONS), ("competence", COMPETENCE)):
        assert run_cli("data", "import", kind, str(_write(tmp_path / f"{kind}.csv", text)),
                       "--data-dir", str(data)).code == 0
    gw = await start_gateway(data_dir=data)
    async with aiohttp.ClientSession() as http:
        async with http.get(gw.url + "/api/v1/units?lat=48.25&lon=-4.49") as response:
            crozon = await response.json()
        async with http.get(gw.url + "/api/v1/units?commune=69123") as response:
            lyon_status = response.status
    assert crozon["force"] == "gendarmerie"
    assert [u["id"] for u in crozon["units"]] == ["gendarmerie-bta-crozon"]
    assert lyon_status == 404  # the sample's communes are replaced, not merged
