"""Load tests for rtc-gateway: a lean Socket.IO load client, scenarios and the Node race."""
