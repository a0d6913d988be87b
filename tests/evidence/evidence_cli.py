"""The ``rtc-gateway`` command line as a stand-alone program, for tests in a separate process."""

import sys

from rtc_gateway.cli import main

if __name__ == "__main__":
    sys.exit(main())
