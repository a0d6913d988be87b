"""Outgoing messages: e-mail over SMTP, SMS over an HTTP provider, and in-memory outboxes."""
