"""Video-complaint appointments: schedules, bookings, notices, join links, statements."""
