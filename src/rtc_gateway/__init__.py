"""rtc-gateway: citizens reach police and gendarmerie by chat and video, with evidence."""

__version__ = "0.1.0"
