"""Server CPU counts the server's live child processes (the evidence writer)."""

import subprocess
import sys
import time

from loadtest.metrics import process_cpu_seconds

PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "x = 0\\nwhile True: x += 1"])
time.sleep(30)
"""


def test_a_busy_live_child_counts_as_the_parent_s_cpu() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT])
    try:
        time.sleep(1.5)
        assert process_cpu_seconds(parent.pid) > 0.5, "the idle parent alone used almost none"
    finally:
        subprocess.run(["pkill", "-KILL", "-P", str(parent.pid)], check=False)
        parent.kill()
        parent.wait()
