"""Hostile bytes: the broker answers with the protocol's error, closes, and keeps serving."""
import os
import random

import pytest

import mqtt_raw
from mqtt_raw import V311, V5


def still_serves(raw):
    subscriber = raw(V311)
    subscriber.connect("health-sub")
    subscriber.subscribe("health", 0)
    publisher = raw(V311)
    publisher.connect("health-pub")
    publisher.publish("health", "ok")
    assert subscriber.expect(mqtt_raw.PUBLISH).payload == b"ok"


def test_v5_garbage_after_connect_gets_malformed_disconnect(raw):
    client = raw(V5)
    client.connect("garbage")
    client.send(bytes([0x30, 0x02, 0xFF, 0xFF]))  # topic length beyond the packet
    packets = client.wait_closed()
    assert packets[-1].type == mqtt_raw.DISCONNECT
    assert packets[-1].reason == 0x81
    still_serves(raw)


@pytest.mark.parametrize("payload", [
    bytes([0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00])[:0] + bytes([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]),  # SUBSCRIBE flags 0
    bytes([0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]),  # PUBLISH QoS 3
    bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),  # remaining length of 5 bytes
    bytes([0x00, 0x00]),  # reserved packet type 0
    bytes([0x82, 0x02, 0x00, 0x01]),  # SUBSCRIBE without filters
    bytes([0x30, 0x03, 0x00, 0x01, 0x00]),  # NUL in topic
    bytes([0x30, 0x04, 0x00, 0x02, 0x61, 0x2B]),  # wildcard in topic name
])
@pytest.mark.parametrize("version", [V311, V5])
def test_protocol_violations_close_the_connection(raw, payload, version):
    client = raw(version)
    client.connect("bad")
    client.send(payload)
    packets = client.wait_closed()
    if version == V5 and packets:
        assert packets[-1].type == mqtt_raw.DISCONNECT
        assert packets[-1].reason >= 0x80
    still_serves(raw)


def test_truncated_packet_then_close(raw):
    client = raw(V311)
    client.connect("trunc")
    client.send(mqtt_raw.publish("a/b", "x" * 100, qos=1, packet_id=1)[:20])
    client.close()
    still_serves(raw)


def test_malformed_connect_is_refused(raw):
    client = raw(V311)
    client.send(bytes([0x10, 0x04, 0x00, 0x04, 0x4D, 0x51]))
    client.wait_closed()
    still_serves(raw)


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"mqtt.max_packet_size": "1KB"})
def test_v5_packet_over_max_packet_size_gets_0x95(raw):
    client = raw(V5)
    client.connect("big")
    client.publish("t", "x" * 2000)
    packets = client.wait_closed()
    assert packets[-1].type == mqtt_raw.DISCONNECT
    assert packets[-1].reason == 0x95


def test_random_bytes_never_kill_the_broker(raw):
    rng = random.Random(1234)
    for i in range(40):
        client = raw(V5 if i % 2 else V311)
        if i % 3:
            client.connect(f"fuzz{i}")
        client.send(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
        client.close()
    still_serves(raw)
