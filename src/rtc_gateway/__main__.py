import sys

from rtc_gateway.cli import main

sys.exit(main())
