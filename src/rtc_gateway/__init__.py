"""rtc-gateway: citizens reach police and gendarmerie by chat and video, with verifiable evidence."""

__version__ = "0.1.0"
