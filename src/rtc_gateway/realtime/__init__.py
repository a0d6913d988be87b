"""A Socket.IO v5 server (the transport of the two namespaces): WebSockets read by its
own code from their handshake on, long-polling and the rest served through aiohttp."""
