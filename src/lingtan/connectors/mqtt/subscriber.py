"""MQTT subscriber: QoS 1, persistent session, acknowledgement only after commit.

The client connects with a fixed client id and a session the broker keeps (MQTT 5:
``clean_start=False`` and a session expiry interval that never ends; MQTT 3.1.1:
``clean_session=False``), so the broker keeps the subscriptions and queues QoS 1 messages
while the collector is away. Automatic acknowledgement is switched off (paho's
``manual_ack``): a PUBACK is sent only when the readings of the message are durable
(committed to the store or spilled to the local buffer). A collector killed between receipt
and commit never acknowledged the message, so the broker redelivers it, and the idempotent
ingest drops the duplicate.

The broker sends at most ``max_unacked`` unacknowledged messages. Under MQTT 5 the collector
sets that window itself (the CONNECT property Receive Maximum, MQTT 5.0 §3.1.2.11.3; 1,000
by default); under MQTT 3.1.1 it is the broker's setting (Mosquitto's
``max_inflight_messages``, 20 by default), and ``max_unacked`` must match it. Because
messages are acknowledged after the commit, the window bounds how many messages one commit
can take. When half of the window is waiting the subscriber starts a commit in the
background instead of waiting for the batch timer, so the second half is received and
decoded while the first half is committed. Payloads are decoded straight into columns
(:func:`~lingtan.connectors.mqtt.payloads.decode_columns`). Shared subscriptions
(``$share/<group>/<filter>``) let several collector processes split one stream. Connection
errors are retried with back-off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from lingtan.connectors.base import Backoff, ConnectorContext, raise_if_cancelled, utcnow
from lingtan.connectors.mqtt.payloads import PayloadError, TopicTemplate, decode_columns
from lingtan.errors import InvalidInput
from lingtan.readings import ReadingColumns

log = logging.getLogger(__name__)

#: protocol versions the subscriber speaks
PROTOCOLS = ("5", "3.1.1")
#: the window the collector asks for under MQTT 5: with ack-after-commit it bounds the messages
#: of one commit (single-reading messages: 500 per commit at the half-window flush)
DEFAULT_RECEIVE_MAXIMUM = 1000
#: Mosquitto's max_inflight_messages default, the window of a 3.1.1 client
MOSQUITTO_INFLIGHT = 20


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("flush failed", exc_info=task.exception())


class MqttConnector:
    """Subscribes to topic templates on one broker."""

    kind = "mqtt"

    def __init__(
        self,
        name: str,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        client_id: str,
        topics: list[TopicTemplate],
        qos: int = 1,
        shared_group: str | None = None,
        username: str | None = None,
        password: str | None = None,
        keepalive: int = 30,
        use_receive_time: bool = False,
        protocol: str = "5",
        max_unacked: int | None = None,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise InvalidInput(f"MQTT protocol {protocol!r} is not 5 or 3.1.1", field="protocol")
        self.name = name
        self.host = host
        self.port = port
        self.client_id = client_id
        self.topics = topics
        self.qos = qos
        self.shared_group = shared_group
        self.username = username
        self.password = password
        self.keepalive = keepalive
        self.use_receive_time = use_receive_time
        self.protocol = protocol
        if max_unacked is None:
            max_unacked = DEFAULT_RECEIVE_MAXIMUM if protocol == "5" else MOSQUITTO_INFLIGHT
        # Receive Maximum is a two-byte integer (MQTT 5.0 §3.1.2.11.3)
        self.max_unacked = min(65_535, max(1, max_unacked))
        self._generation = 0
        self._unacked = 0
        self._flushing: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def _client(self) -> aiomqtt.Client:
        if self.protocol == "5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.ReceiveMaximum = self.max_unacked
            # the session outlives any outage (MQTT 5.0 §3.1.2.11.2: 0xFFFFFFFF never expires),
            # as a 3.1.1 session with clean_session=False does
            properties.SessionExpiryInterval = 0xFFFFFFFF
            client = aiomqtt.Client(
                self.host,
                self.port,
                identifier=self.client_id,
                protocol=aiomqtt.ProtocolVersion.V5,
                clean_start=False,
                properties=properties,
                username=self.username,
                password=self.password,
                keepalive=self.keepalive,
            )
        else:
            client = aiomqtt.Client(
                self.host,
                self.port,
                identifier=self.client_id,
                clean_session=False,
                protocol=aiomqtt.ProtocolVersion.V311,
                username=self.username,
                password=self.password,
                keepalive=self.keepalive,
            )
        # aiomqtt does not expose manual acknowledgement; paho (which it wraps) does
        paho: Any = client._client
        paho.manual_ack_set(True)
        return client

    def _acker(
        self, client: aiomqtt.Client, mid: int, qos: int, generation: int
    ) -> Callable[[], None]:
        def ack() -> None:
            self._unacked = max(0, self._unacked - 1)
            # a message id belongs to one connection: after a reconnect the broker
            # redelivers the message and this stale ack must not be sent
            if generation != self._generation or qos == 0:
                return
            paho: Any = client._client
            paho.ack(mid, qos)

        return ack

    async def run(self, ctx: ConnectorContext) -> None:
        """Receive until cancelled; reconnect with back-off."""
        backoff = Backoff(initial=1.0, maximum=60.0)
        while True:
            raise_if_cancelled()
            client = self._client()
            try:
                async with client:
                    self._generation += 1
                    self._unacked = 0
                    generation = self._generation
                    for template in self.topics:
                        await client.subscribe(
                            template.subscription(self.shared_group), qos=self.qos
                        )
                    ctx.stats.state = "running"
                    ctx.device_ok(f"{self.host}:{self.port}")
                    self.connected.set()
                    backoff.reset()
                    raise_if_cancelled()
                    async for message in client.messages:
                        raise_if_cancelled()
                        await self._handle(ctx, client, message, generation)
            except aiomqtt.MqttError as err:
                self.connected.clear()
                self._generation += 1  # invalidate acks of the lost connection
                ctx.stats.state = "reconnecting"
                ctx.device_failed(f"{self.host}:{self.port}", str(err), lost_after=1)
                await asyncio.sleep(backoff.next_delay())

    async def _handle(
        self,
        ctx: ConnectorContext,
        client: aiomqtt.Client,
        message: aiomqtt.Message,
        generation: int,
    ) -> None:
        topic = message.topic.value
        payload = (
            message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
        )
        source = f"mqtt:{self.name}:{topic}"
        template = next((t for t in self.topics if t.match(topic) is not None), None)
        ack = self._acker(client, message.mid, message.qos, generation)
        self._unacked += 1
        readings = ReadingColumns()
        if template is None:
            self._reject(
                ctx, source, "mqtt_unmatched_topic", f"no template for topic {topic}", payload
            )
        else:
            received = utcnow() if self.use_receive_time else None
            try:
                decoded = decode_columns(
                    template, topic, payload, source=source, received_at=received
                )
            except PayloadError as err:
                self._reject(ctx, source, err.code, str(err), payload)
            else:
                readings = decoded.columns
                for problem in decoded.errors:
                    self._reject(ctx, source, "mqtt_bad_item", problem, payload)
        if readings:
            ctx.stats.record_readings(len(readings))
        # the ack waits behind every earlier message, even when this one had no reading
        await ctx.submit(readings, on_committed=ack)
        if self._unacked >= max(1, self.max_unacked // 2) and (
            self._flushing is None or self._flushing.done()
        ):
            # commit the first half of the broker's window while the second half arrives
            self._flushing = asyncio.ensure_future(ctx.flush())
            self._flushing.add_done_callback(_log_failure)

    def _reject(
        self, ctx: ConnectorContext, source: str, reason: str, problem: str, payload: bytes
    ) -> None:
        ctx.stats.rejected_payloads += 1
        ctx.stats.record_error(problem)
        raw = payload.decode("utf-8", errors="replace")
        ctx.reject_payload(source, reason, f"{problem} | {raw}")
