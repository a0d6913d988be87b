"""The Socket.IO server, configured for this service's limits and serializer."""

from rtc_gateway.config import Settings
from rtc_gateway.gateway.origins import OriginPolicy
from rtc_gateway.realtime.codecs import codec_for
from rtc_gateway.realtime.server import RealtimeServer


def create_socket_server(settings: Settings) -> RealtimeServer:
    return RealtimeServer(
        codec=codec_for(settings.serializer, settings.max_nesting_depth),
        origins=OriginPolicy(settings.cors_origins, settings.public_url),
        max_message_bytes=settings.max_packet_bytes,
        ping_interval_s=settings.ping_interval_s,
        ping_timeout_s=settings.ping_timeout_s,
        connect_timeout_s=settings.connect_timeout_s,
        max_buffered_bytes=settings.max_buffered_bytes,
    )
