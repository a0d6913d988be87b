"""The composition root: the one place that picks adapters and wires services and handlers."""

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from rtc_gateway.adapters.advice.fts_index import SqliteAdviceIndex
from rtc_gateway.adapters.advice.markdown_files import MarkdownAdviceSource, shipped_root
from rtc_gateway.adapters.directory.files import FileUnitDirectory
from rtc_gateway.adapters.filesystem.blob_store import FileBlobStore
from rtc_gateway.adapters.mail.outbox import MemoryMailer, MemorySms
from rtc_gateway.adapters.mail.sms_http import HttpSmsSender
from rtc_gateway.adapters.mail.smtp import SmtpMailer
from rtc_gateway.adapters.memory.advice_subscriptions import MemorySubscriptionStore
from rtc_gateway.adapters.memory.appointment_store import MemoryAppointmentStore
from rtc_gateway.adapters.memory.case_store import MemoryCaseStore
from rtc_gateway.adapters.memory.conversation_index import MemoryConversationIndex
from rtc_gateway.adapters.memory.conversation_store import MemoryConversationStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.memory.session_store import MemorySessionStore
from rtc_gateway.adapters.memory.thesee_store import MemoryTheseeStore
from rtc_gateway.adapters.postgres.appointment_store import PostgresAppointmentStore
from rtc_gateway.adapters.postgres.case_store import PostgresCaseStore
from rtc_gateway.adapters.postgres.conversation_index import PostgresConversationIndex
from rtc_gateway.adapters.postgres.evidence_log import PostgresEvidenceLog
from rtc_gateway.adapters.postgres.revocation_store import PostgresRevocationStore
from rtc_gateway.adapters.postgres.session_store import PostgresSessionStore
from rtc_gateway.adapters.postgres.thesee_store import PostgresTheseeStore
from rtc_gateway.adapters.sqlite.advice_subscriptions import SqliteSubscriptionStore
from rtc_gateway.adapters.sqlite.appointment_store import SqliteAppointmentStore
from rtc_gateway.adapters.sqlite.case_store import SqliteCaseStore
from rtc_gateway.adapters.sqlite.conversation_index import SqliteConversationIndex
from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.adapters.sqlite.revocation_store import SqliteRevocationStore
from rtc_gateway.adapters.sqlite.thesee_store import SqliteTheseeStore
from rtc_gateway.config import Settings
from rtc_gateway.domain.rate_limit import BucketTable
from rtc_gateway.domain.staff_claims import StaffClaimMapping, parse_role_values
from rtc_gateway.domain.urgent_surge import SurgeDetector
from rtc_gateway.domain.wait_estimate import HandlingTimes
from rtc_gateway.domain.zones import load_default_zones
from rtc_gateway.gateway.advice_events import AdviceEvents, SocketAdviceNotifier
from rtc_gateway.gateway.advice_routes import AdviceRoutes
from rtc_gateway.gateway.advice_schemas import summary_wire
from rtc_gateway.gateway.agent_namespace import AgentNamespace
from rtc_gateway.gateway.anonymous_quota import AnonymousQuota
from rtc_gateway.gateway.api_errors import api_errors_middleware
from rtc_gateway.gateway.appointment_events import AppointmentEvents
from rtc_gateway.gateway.appointment_routes import AppointmentRoutes
from rtc_gateway.gateway.attachment_limits import UploadLimits
from rtc_gateway.gateway.attachment_routes import AttachmentRoutes
from rtc_gateway.gateway.auth_routes import AuthRoutes, LoginLimit
from rtc_gateway.gateway.candidate_filter import is_loopback_only
from rtc_gateway.gateway.case_callers import Callers
from rtc_gateway.gateway.case_limits import CaseWriteLimits
from rtc_gateway.gateway.case_routes import CaseRoutes
from rtc_gateway.gateway.citizen_namespace import CitizenNamespace
from rtc_gateway.gateway.client_config import ClientConfig, add_client_routes
from rtc_gateway.gateway.connections import ConnectionRegistry
from rtc_gateway.gateway.conversation_events import ConversationEvents
from rtc_gateway.gateway.csrf import csrf_middleware
from rtc_gateway.gateway.export_route import export_handler
from rtc_gateway.gateway.forwarded import client_address_middleware
from rtc_gateway.gateway.forwarding import EventForwarding
from rtc_gateway.gateway.history import HistoryPager
from rtc_gateway.gateway.http_routes import add_routes
from rtc_gateway.gateway.identity_events import IdentityEvents, VerifiedAwareNotifier
from rtc_gateway.gateway.metrics import GatewayMetrics
from rtc_gateway.gateway.namespace import NamespaceParts
from rtc_gateway.gateway.openapi import openapi_handler
from rtc_gateway.gateway.origins import OriginPolicy
from rtc_gateway.gateway.outside_walls_routes import OutsideWallsRoutes
from rtc_gateway.gateway.presence_wire import presence_wire
from rtc_gateway.gateway.public_reads import PublicReadLimit
from rtc_gateway.gateway.receipt_routes import ReceiptRoutes
from rtc_gateway.gateway.socket_server import create_socket_server
from rtc_gateway.gateway.staff_auth_routes import StaffAuthRoutes
from rtc_gateway.gateway.supervisor_alerts import urgent_surge_alarm
from rtc_gateway.gateway.supervisor_events import (
    StaffNotices,
    SupervisorEvents,
    UrgentAlertMetrics,
)
from rtc_gateway.gateway.thesee_routes import RETENTION, TheseeRoutes, parse_draft
from rtc_gateway.gateway.transfer_notice import TransferNotice
from rtc_gateway.gateway.unit_routes import UnitRoutes
from rtc_gateway.gateway.video_events import VideoEvents
from rtc_gateway.ports.bus import Bus, Receiver
from rtc_gateway.ports.case_store import CaseStore
from rtc_gateway.ports.clock import Clock, SystemClock
from rtc_gateway.ports.evidence_log import EvidenceLog
from rtc_gateway.ports.notifier import CaseNotifier
from rtc_gateway.ports.session_store import SessionStore
from rtc_gateway.ports.text_erasure import TextEraser
from rtc_gateway.realtime.client_address import AddressSet
from rtc_gateway.realtime.node_sids import sid_prefix
from rtc_gateway.realtime.server import RealtimeServer
from rtc_gateway.rtc.ice import IceServerConfig
from rtc_gateway.security.link_key import load_or_create_secret
from rtc_gateway.security.private_files import private_dir
from rtc_gateway.security.revocation_list import RevocationList
from rtc_gateway.security.revocation_sync import RevocationSync
from rtc_gateway.security.token_keys import TokenKeyWatch, load_token_keys
from rtc_gateway.security.tokens import TokenAuthority
from rtc_gateway.services.abuse import AbuseService
from rtc_gateway.services.advice.catalogue import AdviceCatalogue
from rtc_gateway.services.advice.subscriptions import AdviceSubscriptions
from rtc_gateway.services.appointments.booking import Appointments
from rtc_gateway.services.appointments.case_link import CaseLinks
from rtc_gateway.services.appointments.links import JoinLinks
from rtc_gateway.services.appointments.notices import Notices
from rtc_gateway.services.appointments.reminders import Reminders
from rtc_gateway.services.appointments.rooms import AppointmentRooms
from rtc_gateway.services.appointments.schedules import Schedules, read_schedule_file
from rtc_gateway.services.appointments.statements import Statements
from rtc_gateway.services.cases.attachment_sweep import AttachmentSweep
from rtc_gateway.services.cases.attachments import AttachmentPolicy, AttachmentService
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.cases.complaints import Complaints
from rtc_gateway.services.cases.outside_walls import OutsideWalls
from rtc_gateway.services.cases.pre_complaints import PreComplaints
from rtc_gateway.services.cases.purge import PreComplaintPurge
from rtc_gateway.services.cases.receipts import Receipts
from rtc_gateway.services.client_limits import ClientLimits, ClientLimitSettings
from rtc_gateway.services.conversation_homes import ConversationHomesService
from rtc_gateway.services.conversation_search import ConversationSearch
from rtc_gateway.services.conversations import ConversationService
from rtc_gateway.services.identity.http_client import ProviderHttp
from rtc_gateway.services.identity.login import Client, LoginFlow
from rtc_gateway.services.identity.provider import OidcProvider
from rtc_gateway.services.identity.staff_login import StaffLogin
from rtc_gateway.services.identity.step_up import StepUp
from rtc_gateway.services.limit_log import LimitLog
from rtc_gateway.services.open_limits import OpenLimits
from rtc_gateway.services.presence import PresenceService
from rtc_gateway.services.queue_broadcast import QueueBroadcaster
from rtc_gateway.services.recovery import adopt_conversation, recover_open_conversations
from rtc_gateway.services.routing import RoutingService
from rtc_gateway.services.thesee.desk import ReviewDesk
from rtc_gateway.services.thesee.figures import DeskFigures
from rtc_gateway.services.thesee.filings import TheseeFilings
from rtc_gateway.services.thesee.observed_store import ObservedCaseStore
from rtc_gateway.services.thesee.retention import Retention
from rtc_gateway.services.units import UnitFinder
from rtc_gateway.services.urgent_surge import UrgentSurgeWatch
from rtc_gateway.services.urgent_watch import UrgentWaitWatch
from rtc_gateway.services.video_rooms import VideoRoomService
from rtc_gateway.shared_services import (
    SharedServices,
    SharedServicesState,
    StartupRefused,
    routing_state,
    shared_services,
    single_node_bus,
)
from rtc_gateway.shared_stores import open_stores

log = logging.getLogger(__name__)


@dataclass
class Gateway:
    settings: Settings
    app: web.Application
    server: RealtimeServer
    evidence: SqliteEvidenceLog | MemoryEvidenceLog | PostgresEvidenceLog
    conversations: ConversationService
    routing: RoutingService
    broadcaster: QueueBroadcaster
    tokens: TokenAuthority
    metrics: GatewayMetrics
    video: VideoRoomService
    revocation_sync: RevocationSync
    bus: Bus
    """What the realtime layer publishes cross-node packets on (see docs/architecture.md)."""
    shared: SharedServices | None = None
    homes: ConversationHomesService | None = None
    """With several nodes: which node holds each conversation, and calls to it."""

    async def start(self) -> None:
        if self.shared is not None:
            await self.shared.start()
        else:
            await self.evidence.start()
        if self.homes is not None:
            await self.homes.start()
        await self.revocation_sync.start()
        await self.routing.start()
        recovered = await recover_open_conversations(
            self.evidence, self.conversations, self.routing,
            self.homes.claim_recovered if self.homes is not None else None)
        log.info("gateway started", extra={
            "recovered_conversations": recovered,
            "evidence": "postgresql" if self.shared is not None else self.settings.evidence})

    def on_bus_packet(self, receive: Receiver) -> None:
        """Have ``receive`` called with each packet another node publishes (no-op alone)."""
        if self.shared is not None:
            self.shared.fan_out.receivers.append(receive)

    async def stop(self) -> None:
        """Stop taking work, then flush the evidence log and sign a last checkpoint."""
        await self.broadcaster.close()
        await self.routing.close()
        await self.video.close()
        await self.revocation_sync.close()
        try:
            await self.evidence.close()
        finally:
            if self.homes is not None:
                await self.homes.close()
            if self.shared is not None:
                await self.shared.close()
        log.info("gateway stopped")


def ice_server_config(server: Mapping[str, Any]) -> IceServerConfig:
    urls = server["urls"]
    return IceServerConfig(urls=(urls,) if isinstance(urls, str) else tuple(urls),
                           username=server.get("username"), credential=server.get("credential"))


def conversation_index(
    settings: Settings, evidence: SqliteEvidenceLog | MemoryEvidenceLog | PostgresEvidenceLog
) -> SqliteConversationIndex | MemoryConversationIndex | PostgresConversationIndex:
    """The supervisors' search over every conversation of the log, wherever it is kept."""
    if isinstance(evidence, SqliteEvidenceLog):
        return SqliteConversationIndex(settings.evidence_db)
    if isinstance(evidence, PostgresEvidenceLog):
        return PostgresConversationIndex(evidence)
    return MemoryConversationIndex(evidence)


def revocation_store(settings: Settings, database_url: str | None = None
                     ) -> SqliteRevocationStore | PostgresRevocationStore:
    """Where revocations and citizen token generations are kept (the command line's
    ``token revoke`` writes there too): PostgreSQL for several nodes, else SQLite."""
    url = database_url or settings.database_url
    if url is not None:
        return PostgresRevocationStore(url)
    return SqliteRevocationStore(settings.revocations_db)


def session_store(settings: Settings, clock: Clock
                  ) -> MemorySessionStore | PostgresSessionStore:
    """Citizens' sessions: in PostgreSQL for several nodes (a session works on every
    node), else in this node's memory."""
    if settings.database_url is not None:
        return PostgresSessionStore(settings.database_url, clock)
    return MemorySessionStore()


def client_limit_settings(settings: Settings) -> ClientLimitSettings:
    return ClientLimitSettings(
        connects_per_address_per_s=settings.connects_per_address_per_s,
        connects_per_address_burst=settings.connects_per_address_burst,
        connects_per_identity_per_s=settings.connects_per_identity_per_s,
        connects_per_identity_burst=settings.connects_per_identity_burst,
        max_sockets_per_identity=settings.max_sockets_per_identity,
        events_per_s=settings.rate_per_s, events_burst=settings.rate_burst)


def login_flow(settings: Settings, clock: Clock, store: SessionStore,
               http: ProviderHttp) -> LoginFlow | None:
    """The citizens' OpenID Connect login, when a provider is configured."""
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.public_url):
        return None
    public_url = settings.public_url.rstrip("/")
    client = Client(settings.oidc_client_id, settings.oidc_client_secret,
                    redirect_uri=f"{public_url}/auth/callback",
                    post_logout_redirect_uri=f"{public_url}/")
    return LoginFlow(OidcProvider(settings.oidc_issuer, http, clock.monotonic), client, store,
                     clock, http, login_ttl_s=settings.login_ttl_s,
                     session_ttl_s=settings.session_ttl_s)


def staff_login(settings: Settings, clock: Clock, http: ProviderHttp,
                tokens: TokenAuthority) -> StaffLogin | None:
    """The staff's OpenID Connect login, when the ministry's provider is configured; its
    pending logins in a store of their own, apart from the citizens'."""
    if not (settings.staff_oidc_issuer and settings.staff_oidc_client_id
            and settings.public_url):
        return None
    public_url = settings.public_url.rstrip("/")
    client = Client(settings.staff_oidc_client_id, settings.staff_oidc_client_secret,
                    redirect_uri=f"{public_url}/auth/staff/callback",
                    post_logout_redirect_uri=f"{public_url}/demo/agent.html")
    flow = LoginFlow(OidcProvider(settings.staff_oidc_issuer, http, clock.monotonic), client,
                     MemorySessionStore(), clock, http, login_ttl_s=settings.login_ttl_s,
                     session_ttl_s=settings.staff_oidc_token_ttl_s,
                     scopes=settings.staff_oidc_scopes, acr_values=None)
    return StaffLogin(flow, tokens, StaffClaimMapping.parse(settings.staff_oidc_claims),
                      parse_role_values(settings.staff_oidc_role_values),
                      settings.staff_oidc_token_ttl_s)


def case_store(settings: Settings) -> ObservedCaseStore:
    """Cases beside the evidence: in PostgreSQL for several nodes, in memory with a
    memory log, else ``cases.db``; observed, so the THESEE desk follows every change."""
    if settings.database_url is not None:
        return ObservedCaseStore(PostgresCaseStore(settings.database_url))
    if settings.evidence == "memory" and not settings.multi_node:
        return ObservedCaseStore(MemoryCaseStore())
    return ObservedCaseStore(SqliteCaseStore(settings.cases_db))


def case_routes(settings: Settings, evidence: EvidenceLog, store: CaseStore, clock: Clock,
                callers: Callers, trips: LimitLog, units: UnitFinder,
                notifier: CaseNotifier | None = None) -> CaseRoutes:
    cases = CaseService(store, evidence, clock, units, notifier)
    limits = CaseWriteLimits(
        BucketTable(settings.case_writes_per_identity_per_s,
                    settings.case_writes_per_identity_burst),
        BucketTable(settings.case_writes_per_address_per_s,
                    settings.case_writes_per_address_burst),
        settings.max_case_body_bytes, trips, clock.monotonic)
    return CaseRoutes(cases, PreComplaints(cases), Complaints(cases), callers, limits)


def attachment_routes(settings: Settings, cases: CaseService, blobs: FileBlobStore,
                      clock: Clock, callers: Callers, trips: LimitLog) -> AttachmentRoutes:
    policy = AttachmentPolicy(settings.max_attachment_bytes, settings.max_attachments_per_case,
                              settings.max_attachment_pixels)
    limits = UploadLimits(
        BucketTable(settings.attachment_uploads_per_identity_per_s,
                    settings.attachment_uploads_per_identity_burst),
        BucketTable(settings.attachment_uploads_per_address_per_s,
                    settings.attachment_uploads_per_address_burst),
        trips, clock.monotonic)
    return AttachmentRoutes(AttachmentService(cases, blobs, clock, policy), callers, limits)


def advice_subscriptions(settings: Settings, clock: Clock, server: RealtimeServer,
                         connections: ConnectionRegistry) -> AdviceSubscriptions:
    """The advice catalogue (shipped articles and ``DATA/advice/``) and who follows what
    (``DATA/advice.db``, or memory with a memory log)."""
    catalogue = AdviceCatalogue(
        MarkdownAdviceSource([shipped_root(), settings.data_dir / "advice"]),
        SqliteAdviceIndex(), clock)
    store = (MemorySubscriptionStore() if settings.evidence == "memory"
             and not settings.multi_node else SqliteSubscriptionStore(
                 settings.data_dir / "advice.db"))
    return AdviceSubscriptions(catalogue, store, SocketAdviceNotifier(server, connections),
                               clock, summary_wire)


def outside_walls_routes(case_api: CaseRoutes) -> OutsideWallsRoutes:
    """On the same cases service (its per-case locks) and limits as the cases API."""
    return OutsideWallsRoutes(case_api.cases, OutsideWalls(case_api.cases), case_api.callers,
                              case_api.limits)


AppointmentStores = SqliteAppointmentStore | MemoryAppointmentStore | PostgresAppointmentStore
"""Appointments: PostgreSQL with several nodes, else beside the evidence."""


@dataclass
class AppointmentParts:
    """Video appointments: their store, notices, reminders and routes (see
    services/appointments/)."""

    store: AppointmentStores
    appointments: Appointments
    schedules: Schedules
    reminders: Reminders
    sms: HttpSmsSender | MemorySms
    mailer: SmtpMailer | MemoryMailer
    schedule_file: Path | None

    async def start(self) -> None:
        await self.store.open()
        if self.schedule_file is not None:
            try:
                schedules = read_schedule_file(self.schedule_file)
            except ValueError as error:
                raise StartupRefused(str(error)) from None
            await self.schedules.load(schedules)
        self.reminders.start()

    async def close(self) -> None:
        await self.reminders.close()
        await self.appointments.notices.drain()
        if isinstance(self.sms, HttpSmsSender):
            await self.sms.close()
        await self.store.close()


def appointment_parts(settings: Settings, evidence: EvidenceLog, cases: CaseStore,
                      clock: Clock, video_service: VideoRoomService, video: VideoEvents,
                      notifier: VerifiedAwareNotifier, step_up: StepUp, callers: Callers,
                      trips: LimitLog, units: UnitFinder) -> tuple[
                          AppointmentParts, AppointmentRoutes, AppointmentEvents]:
    store: AppointmentStores = (
        PostgresAppointmentStore(settings.database_url)
        if settings.multi_node and settings.database_url
        else MemoryAppointmentStore() if settings.evidence == "memory"
        else SqliteAppointmentStore(settings.appointments_db))
    mailer: SmtpMailer | MemoryMailer = (
        SmtpMailer(settings.smtp_url, settings.mail_from or "")
        if settings.smtp_url else MemoryMailer())
    sms: HttpSmsSender | MemorySms = (HttpSmsSender(settings.sms_url, settings.sms_token)
                                      if settings.sms_url else MemorySms())
    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    links = JoinLinks(load_or_create_secret(settings.link_key_path), public_url)
    mail_from = settings.mail_from or "visioplainte@localhost"
    notices = Notices(mailer, sms, links, evidence, clock, mail_from)
    appointments = Appointments(store, cases, evidence, clock, notices, units)
    schedules = Schedules(store, evidence, clock)
    rooms = AppointmentRooms(appointments, video_service, links, step_up, clock)
    video.other_rooms = rooms.may_take_part
    limits = CaseWriteLimits(
        BucketTable(settings.case_writes_per_identity_per_s,
                    settings.case_writes_per_identity_burst),
        BucketTable(settings.case_writes_per_address_per_s,
                    settings.case_writes_per_address_burst),
        settings.max_case_body_bytes, trips, clock.monotonic)
    routes = AppointmentRoutes(appointments, schedules, Statements(appointments, clock), rooms,
                               links, callers, step_up, limits, clock,
                               CaseLinks(appointments, cases, step_up, clock))
    parts = AppointmentParts(store, appointments, schedules,
                             Reminders(appointments, settings.appointment_reminder_interval_s),
                             sms, mailer, settings.appointment_schedules)
    return parts, routes, AppointmentEvents(rooms, video_service, notifier)


def conversation_homes(shared: SharedServices | None, store: MemoryConversationStore,
                       settings: Settings) -> ConversationHomesService | None:
    """With several nodes: forwarding to, and taking over from, the node of a
    conversation (``services/conversation_homes.py``); alone, nothing to forward."""
    if shared is None:
        return None
    return ConversationHomesService(
        homes=shared.homes, calls=shared.calls, live_nodes=shared.registry.live_nodes,
        store=store, reachable=lambda: shared.registry.reachable,
        call_timeout_s=settings.node_call_timeout_s,
        gone_within_s=settings.node_ttl_s * 1.5 + 1.0)


def build_gateway(settings: Settings, clock: Clock | None = None) -> Gateway:
    clock = clock or SystemClock()
    private_dir(settings.data_dir)
    private_dir(settings.recordings_dir)
    evidence: SqliteEvidenceLog | MemoryEvidenceLog | PostgresEvidenceLog
    shared = shared_services(settings, clock) if settings.multi_node else None
    if shared is not None:
        evidence = shared.evidence
    elif settings.evidence == "memory":
        evidence = MemoryEvidenceLog()
    else:
        evidence = SqliteEvidenceLog(settings.evidence_db, settings.log_key_path,
                                     settings.evidence_origin, clock,
                                     settings.checkpoint_interval_s,
                                     writer=settings.evidence_writer, exclusive=True)
    revocations = RevocationList()
    revocation_sync = RevocationSync(revocation_store(settings), revocations, clock,
                                     settings.revocation_poll_interval_s)
    token_keys = load_token_keys(settings.token_key_path)
    tokens = TokenAuthority(token_keys.signing, clock, settings.citizen_token_ttl_s,
                            revocations, settings.citizen_token_grace_s, token_keys.previous)
    key_watch = TokenKeyWatch(settings.token_key_path, settings.key_reload_interval_s,
                              lambda keys: tokens.use_keys(keys.signing, keys.previous))
    server = create_socket_server(settings)
    pages = HistoryPager.for_frames_of(settings.max_packet_bytes)
    notifier = VerifiedAwareNotifier(server, pages)
    metrics = GatewayMetrics()
    connections = ConnectionRegistry()
    queues = routing_state(settings)
    store = MemoryConversationStore()
    handling_times = HandlingTimes()
    units = UnitFinder(FileUnitDirectory(settings.data_dir), load_default_zones(), clock)
    broadcaster = QueueBroadcaster(queues, store, notifier, clock, handling_times,
                                   settings.queue_update_interval_s,
                                   settings.queue_updates_per_s)
    homes = conversation_homes(shared, store, settings)
    routing = RoutingService(state=queues, store=store, evidence=evidence,
                             notifier=notifier, broadcaster=broadcaster, clock=clock,
                             metrics=metrics, grace_s=settings.agent_grace_s, homes=homes)
    conversations = ConversationService(
        store=store, evidence=evidence, routing=routing, broadcaster=broadcaster,
        notifier=notifier, clock=clock, metrics=metrics, handling_times=handling_times,
        force_at=units.force_at, max_open_per_citizen=settings.max_open_per_citizen,
        homes=homes)
    notices = StaffNotices(server)
    presence = PresenceService(store, clock, notices.citizen_presence)
    notifier.citizen_presence = lambda citizen_id: _presence_or_none(presence, citizen_id)
    conversations.on_closed(presence.conversation_closed)
    urgent_watch = UrgentWaitWatch(queues, store, clock, notices.urgent_wait,
                                   threshold_s=settings.urgent_wait_alert_s)
    index = conversation_index(settings, evidence)
    events = ConversationEvents(conversations, routing, pages, presence)
    video_service = VideoRoomService(
        evidence=evidence, recordings_dir=settings.recordings_dir,
        ice_servers=[ice_server_config(server) for server in settings.ice_servers],
        clock=clock, on_room_ended=lambda ended: video.room_ended(ended),
        turn_secret=settings.turn_secret,
        host_addresses=list(settings.rtc_host_addresses) or None,
        empty_room_timeout_s=settings.video_empty_room_timeout_s,
        room_prefix=sid_prefix(shared.node_id) if shared is not None else "")
    video = VideoEvents(video_service, conversations, notifier,
                        loopback_only=is_loopback_only(settings.rtc_host_addresses))
    conversations.on_closed(video.conversation_closed)
    trips = LimitLog(metrics, clock.monotonic)
    limits = ClientLimits(client_limit_settings(settings), clock.monotonic, trips)
    open_limits = OpenLimits(settings.max_open_per_citizen, settings.max_open_per_address, trips)
    conversations.on_closed(open_limits.closed)
    abuse = AbuseService(conversations=conversations, evidence=evidence, clock=clock,
                         address_of=open_limits.address_of, block_s=settings.abuse_block_s,
                         metrics=metrics, trips=trips)
    surge = UrgentSurgeWatch(
        SurgeDetector(settings.urgent_surge_threshold, settings.urgent_surge_window_s),
        clock, metrics, urgent_surge_alarm(server))
    routing.on_officer_released(video.officer_released)
    parts = NamespaceParts(
        server=server, connections=connections, tokens=tokens, conversations=conversations,
        events=events, video=video, metrics=metrics, monotonic=clock.monotonic, limits=limits)
    sessions = session_store(settings, clock)
    provider_http = ProviderHttp()
    step_up = StepUp(sessions, conversations, evidence, notifier, clock)
    notifier.watch_identity(step_up.session_of_citizen)
    citizen_namespace = CitizenNamespace(
        parts, AnonymousQuota(settings.anonymous_per_ip, settings.anonymous_window_s),
        abuse, open_limits, surge, presence, IdentityEvents(step_up))
    citizen_namespace.register()
    advice = advice_subscriptions(settings, clock, server, connections)
    AdviceEvents(advice).register(citizen_namespace.dispatcher)
    abuse.on_identity_blocked = citizen_namespace.end_sessions_of
    agent_namespace = AgentNamespace(parts, routing, abuse, TransferNotice(server, routing))
    agent_namespace.register()
    SupervisorEvents(ConversationSearch(index, store, queues)).register(agent_namespace.dispatcher)
    if homes is not None:
        homes.adopt_with(lambda conversation_id: adopt_conversation(
            evidence, conversations, routing, clock, conversation_id))
        forwarding = EventForwarding(homes)
        forwarding.attach(citizen_namespace.dispatcher)
        forwarding.attach(agent_namespace.dispatcher)
        events.list_elsewhere_with(forwarding.lists_elsewhere)
    metrics.registry.register(UrgentAlertMetrics(urgent_watch))
    metrics.watch_abuse(abuse.blocked_counts, surge.in_window, limits.sizes)
    revocation_sync.on_staff_revoked = agent_namespace.end_revoked_sessions
    metrics.watch(queues, connections.count, clock.monotonic)
    metrics.watch_video(video_service.stats)
    metrics.watch_transport(server.stats)
    metrics.watch_evidence(evidence.stats)
    evidence.watch_backlog(settings.evidence_backlog, server.shed_load)

    trusted_proxies = AddressSet(settings.trusted_proxies)
    app = web.Application(client_max_size=settings.max_packet_bytes, middlewares=[
        client_address_middleware(trusted_proxies),
        api_errors_middleware(),
        csrf_middleware(OriginPolicy(settings.cors_origins, settings.public_url),
                        exempt_path=server.path)])
    server.attach(app)
    flow = login_flow(settings, clock, sessions, provider_http)
    login_limit = LoginLimit(BucketTable(settings.logins_per_address_per_s,
                                         settings.logins_per_address_burst),
                             trips, clock.monotonic)
    AuthRoutes(flow, step_up, tokens,
               secure_cookies=(settings.public_url or "").startswith("https://"),
               login_ttl_s=settings.login_ttl_s, session_ttl_s=settings.session_ttl_s,
               limit=login_limit, metrics=metrics).add_to(app)
    staff = staff_login(settings, clock, provider_http, tokens)
    StaffAuthRoutes(staff, (settings.public_url or "").startswith("https://"),
                    settings.login_ttl_s, login_limit).add_to(app)
    add_client_routes(app, ClientConfig(settings.serializer, settings.quick_exit_url,
                                        settings.waiting_alternatives_after_s,
                                        identity_login=flow is not None,
                                        staff_login=staff is not None))
    add_routes(app, metrics, AddressSet(settings.metrics_allow), trusted_proxies,
               shared.readiness if shared is not None else None)
    cases = case_store(settings)
    routes = case_routes(settings, evidence, cases, clock, Callers(tokens, step_up), trips,
                         units, notifier)
    routes, thesee = thesee_desk(settings, evidence, cases, clock, app, routes,
                                 eraser=evidence)
    routes.add_to(app)
    blobs = FileBlobStore(settings.attachments_dir, clock)
    attachment_routes(settings, routes.cases, blobs, clock, routes.callers, trips).add_to(app)
    ReceiptRoutes(Receipts(routes.cases, evidence), routes.callers, routes.limits).add_to(app)
    purge = PreComplaintPurge(cases, evidence, clock, routes.cases.lock, evidence,
                              AttachmentSweep(cases, blobs, clock,
                                              settings.attachment_sweep_grace_s))
    public_reads = PublicReadLimit(BucketTable(settings.public_reads_per_address_per_s,
                                               settings.public_reads_per_address_burst),
                                   trips, clock.monotonic)
    UnitRoutes(units, public_reads).add_to(app)
    AdviceRoutes(advice.catalogue, public_reads).add_to(app)
    outside_walls_routes(routes).add_to(app)
    appointment_set, appointment_routes, appointment_events = appointment_parts(
        settings, evidence, cases, clock, video_service, video, notifier, step_up,
        routes.callers, trips, units)
    appointment_routes.add_to(app)
    appointment_events.register_agent(agent_namespace.dispatcher)
    appointment_events.register_citizen(citizen_namespace.dispatcher)
    app.router.add_get("/api/v1/openapi.json", openapi_handler())
    if shared is not None:
        metrics.registry.register(SharedServicesState(shared))
        shared.registry.on_node_gone(routing.node_gone)
    if not isinstance(evidence, MemoryEvidenceLog):
        app.router.add_post("/api/v1/conversations/{conversation_id}/export",
                            export_handler(evidence, settings.recordings_dir, tokens, blobs))
    gateway = Gateway(settings, app, server, evidence, conversations, routing, broadcaster,
                      tokens, metrics, video_service, revocation_sync,
                      shared.bus if shared is not None else single_node_bus(), shared, homes)
    if shared is not None:  # alone, the server does not join the bus: nothing to publish
        gateway.on_bus_packet(server.join_bus(gateway.bus))

    async def on_startup(_: web.Application) -> None:
        await blobs.open()
        await advice.store.open()
        await gateway.start()
        units.load()
        key_watch.start()
        await open_stores(cases, *(
            [sessions] if isinstance(sessions, PostgresSessionStore) else []))
        await thesee.start()
        purge.start(settings.case_purge_interval_s)
        advice.start(settings.advice_poll_interval_s)
        await appointment_set.start()
        urgent_watch.start()

    async def on_cleanup(_: web.Application) -> None:
        await urgent_watch.close()
        await appointment_set.close()
        await key_watch.close()
        await gateway.stop()
        await provider_http.close()
        await purge.close()
        await thesee.close()
        await cases.close()
        await advice.close()
        await advice.store.close()
        if isinstance(sessions, PostgresSessionStore):
            await sessions.close()
        if isinstance(index, SqliteConversationIndex):
            index.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return gateway


def _presence_or_none(presence: PresenceService, citizen_id: str) -> dict[str, Any] | None:
    known = presence.of(citizen_id)
    return presence_wire(known) if known is not None else None


def thesee_desk(settings: Settings, evidence: EvidenceLog, store: ObservedCaseStore,
                clock: Clock, app: web.Application, routes: CaseRoutes,
                eraser: TextEraser | None = None) -> tuple[CaseRoutes, "TheseeParts"]:
    """THESEE on the cases framework: its own store beside the cases (``thesee.db``, or
    memory beside a memory case store), the review desk deciding THESEE cases, its routes
    on ``app``; the cases' routes returned with the link index behind reviewers'
    ``linked``, and the store and retention job to start once the gateway has started
    (its database checked and migrated)."""
    thesee: SqliteTheseeStore | MemoryTheseeStore | PostgresTheseeStore
    if isinstance(store.inner, PostgresCaseStore):
        thesee = PostgresTheseeStore(store.inner.dsn)
    elif isinstance(store.inner, MemoryCaseStore):
        thesee = MemoryTheseeStore()
    else:
        thesee = SqliteTheseeStore(settings.data_dir / "thesee.db")
    threshold = settings.thesee_four_eyes_above_eur
    desk = ReviewDesk(routes.cases, store, thesee, clock,
                      threshold if threshold >= 0 else None,
                      timedelta(seconds=settings.thesee_claim_ttl_s))
    filings = TheseeFilings(routes.cases, thesee, clock, parse_draft)
    TheseeRoutes(routes.cases, filings, desk, DeskFigures(thesee, clock), routes.callers,
                 routes.limits).add_to(app)
    retention = app[RETENTION] = Retention(routes.cases, store, thesee, evidence, clock,
                                           eraser=eraser)
    return dataclasses.replace(routes, linker=desk.linked), TheseeParts(thesee, retention)


@dataclass
class TheseeParts:
    store: SqliteTheseeStore | MemoryTheseeStore | PostgresTheseeStore
    retention: Retention

    async def start(self) -> None:
        await self.store.open()
        self.retention.start()

    async def close(self) -> None:
        await self.retention.close()
        await self.store.close()
