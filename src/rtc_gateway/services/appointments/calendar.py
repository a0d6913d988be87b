"""The ``.ics`` (iCalendar, RFC 5545) attached to each notice: one event, its UID the
appointment's, its SEQUENCE growing with each change; a cancellation is METHOD:CANCEL."""

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from rtc_gateway.domain.video_appointments import Appointment
from rtc_gateway.services.appointments import wording


def ics(appointment: Appointment, join_url: str, organizer: str, now: datetime,
        unit_name: str) -> bytes:
    cancelled = not appointment.is_live
    calendar = Calendar()
    calendar.add("prodid", "-//rtc-gateway//Visioplainte//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{appointment.id}@rtc-gateway")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", wording.event_summary(unit_name))
    event.add("description", wording.event_description(join_url))
    event.add("url", join_url)
    event.add("location", vText(wording.VIDEO_LOCATION))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer_address = vCalAddress(f"mailto:{organizer}")
    organizer_address.params["cn"] = vText(unit_name)
    event["organizer"] = organizer_address
    if appointment.email:
        event.add("attendee", f"mailto:{appointment.email}",
                  parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED"})
    calendar.add_component(event)
    return bytes(calendar.to_ical())
