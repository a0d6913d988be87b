"""A Socket.IO v5 server over aiohttp WebSockets (the transport of the two namespaces)."""
