"""Without the ``load`` extra, ``python -m loadtest`` names the command that installs it."""

import subprocess
import sys

from tests.support.cli_process import environment

HIDE_MSGPACK = (
    "import runpy, sys; sys.modules['msgpack'] = None; sys.argv = ['loadtest', 'chat'];"
    " runpy.run_module('loadtest', run_name='__main__', alter_sys=True)"
)


def test_a_missing_extra_is_a_message_naming_the_install_command() -> None:
    run = subprocess.run([sys.executable, "-c", HIDE_MSGPACK], capture_output=True, text=True,
                         env=environment(), timeout=60, check=False)
    assert run.returncode == 1
    assert "missing msgpack, from the 'load' extra" in run.stderr
    assert "pip install -e '.[load]'" in run.stderr
    assert "Traceback" not in run.stderr


def test_with_the_extra_the_tools_start() -> None:
    run = subprocess.run([sys.executable, "-m", "loadtest", "--help"], capture_output=True,
                         text=True, env=environment(), timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "chat" in run.stdout
