"""Running ``python -m rtc_gateway`` as a real process, from any working directory."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import rtc_gateway

SOURCES = str(Path(rtc_gateway.__file__).resolve().parents[1])
REPOSITORY = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This interpreter's environment with these sources first, without RTC_GATEWAY_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTC_GATEWAY_")}
    env["PYTHONPATH"] = os.pathsep.join([SOURCES, REPOSITORY])
    env.update(extra or {})
    return env


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> Run:
    completed = subprocess.run(
        [sys.executable, "-m", "rtc_gateway", *args],
        capture_output=True, text=True, cwd=cwd, env=environment(env), timeout=timeout,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)
