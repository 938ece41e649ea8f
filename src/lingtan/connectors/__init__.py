"""Meter connectors: one folder per protocol, each a pure codec plus the I/O part.

* ``modbus/``  — Modbus TCP: register maps as data, block reads, meter templates, ``probe``.
* ``dlt645/``  — DL/T 645-2007: frame codec, data-identifier table, TCP-gateway and serial
  transports, a simulated meter.
* ``mqtt/``    — MQTT: topic templates, single and batch JSON payloads, ack after commit.
* ``files/``   — CSV (long and wide) and .xlsx with a column mapping; manual entry.
* ``opcua/``   — OPC UA client (asyncua): node → point mapping, subscriptions, HistoryRead
  backfill after a reconnection, security policies; a simulated server.
* ``iec104/``  — IEC 60870-5-104 client (own asyncio APCI): interrogations, spontaneous data, CP56Time2a
  time tags, quality bits; a simulated RTU.
* ``collector/`` — runs every configured connector in one asyncio process, batches into the
  ingest pipeline and spills to a local durable buffer while the store is unavailable.

The codecs never touch sockets or clocks; only pollers and subscribers do I/O. Library errors
become :class:`lingtan.errors.Unavailable` and are retried with back-off; a device that stops
answering raises a comms-loss event and no reading is invented for it.
"""

from __future__ import annotations
