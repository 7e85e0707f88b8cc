"""Persistent sessions: takeover, offline queue, expiry."""
import time

import paho.mqtt.client as mqtt
import pytest

import mqtt_raw
from mqtt_raw import PUBACK, PUBLISH, V311, V5


@pytest.mark.gatemq_only  # Mosquitto closes without DISCONNECT 0x8E
def test_takeover_closes_the_old_connection_and_keeps_the_session(raw):
    old = raw(V5)
    old.connect("same-id", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 300)])
    old.subscribe("take/over", 1)

    new = raw(V5)
    connack = new.connect("same-id", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 300)])
    assert connack.session_present
    packets = old.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x8E

    publisher = raw(V5)
    publisher.connect("pub")
    publisher.publish("take/over", "to-new", qos=1, packet_id=1)
    message = new.expect(PUBLISH)
    assert message.payload == b"to-new"


def test_takeover_v311_with_paho(paho):
    first = paho("paho-same", clean=False)
    first.subscribe("t/paho", 1)
    second = paho("paho-same", clean=False)
    assert second.flags["session present"] == 1
    assert first.disconnects.get(timeout=10) != 0
    first.client.loop_stop()
    paho("pub").publish("t/paho", b"after", 1)
    assert second.expect().payload == b"after"


def test_takeover_keeps_unacked_messages(raw):
    old = raw(V311)
    old.connect("keep", clean=False)
    old.subscribe("keep/t", 1)
    publisher = raw(V311)
    publisher.connect("keep-pub")
    publisher.publish("keep/t", "in-flight", qos=1, packet_id=1)
    assert old.expect(PUBLISH).payload == b"in-flight"  # never acknowledged

    new = raw(V311)
    new.connect("keep", clean=False)
    assert old.wait_closed() == []  # taken over: closed, and 3.1.1 has no DISCONNECT to send
    again = new.expect(PUBLISH)
    assert again.payload == b"in-flight" and again.dup


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5])
def test_offline_messages_are_replayed_in_order(paho, protocol):
    props = None
    if protocol == mqtt.MQTTv5:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 300
    subscriber = paho("offline", protocol=protocol, clean=False, properties=props)
    subscriber.subscribe("queue/t", 1)
    subscriber.disconnect()
    publisher = paho("pub", protocol=protocol)
    for i in range(20):
        publisher.publish("queue/t", str(i).encode(), 1)
    subscriber = paho("offline", protocol=protocol, clean=False, properties=props)
    assert subscriber.flags["session present"] == 1
    assert [int(p) for p in subscriber.expect_payloads(20)] == list(range(20))


@pytest.mark.broker_config({"zone.external.max_mqueue_len": "2"})
@pytest.mark.gatemq_only  # Mosquitto drops the newest; EMQX and gatemq the oldest
def test_full_offline_queue_drops_the_oldest(raw):
    subscriber = raw(V311)
    subscriber.connect("small", clean=False)
    subscriber.subscribe("small/t", 1)
    subscriber.send(mqtt_raw.disconnect())
    subscriber.wait_closed()
    publisher = raw(V311)
    publisher.connect("small-pub")
    for i in range(5):
        publisher.publish("small/t", str(i), qos=1, packet_id=i + 1)
        publisher.expect(PUBACK)
    subscriber = raw(V311)
    subscriber.connect("small", clean=False)
    payloads = [subscriber.expect(PUBLISH).payload for _ in range(2)]
    assert payloads == [b"3", b"4"]


@pytest.mark.broker_config({"zone.external.mqueue_store_qos0": "false"})
def test_qos0_messages_are_not_queued_when_configured(raw):
    subscriber = raw(V311)
    subscriber.connect("q0", clean=False)
    subscriber.subscribe("q0/t", 1)
    subscriber.send(mqtt_raw.disconnect())
    subscriber.wait_closed()
    publisher = raw(V311)
    publisher.connect("q0-pub")
    publisher.publish("q0/t", "dropped", qos=0)
    publisher.publish("q0/t", "kept", qos=1, packet_id=1)
    publisher.expect(PUBACK)
    subscriber = raw(V311)
    subscriber.connect("q0", clean=False)
    assert subscriber.expect(PUBLISH).payload == b"kept"


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.mqueue_priorities": "urgent=10"})
def test_queue_priorities_replay_urgent_topics_first(raw):
    subscriber = raw(V311)
    subscriber.connect("prio", clean=False)
    subscriber.subscribe("#", 1)
    subscriber.send(mqtt_raw.disconnect())
    subscriber.wait_closed()
    publisher = raw(V311)
    publisher.connect("prio-pub")
    for topic in ["normal", "urgent", "normal", "urgent"]:
        publisher.publish(topic, topic, qos=1, packet_id=1)
        publisher.expect(PUBACK)
    subscriber = raw(V311)
    subscriber.connect("prio", clean=False)
    topics = [subscriber.expect(PUBLISH).topic for _ in range(4)]
    assert topics == ["urgent", "urgent", "normal", "normal"]


def test_v5_session_expires_after_its_interval(raw):
    client = raw(V5)
    client.connect("expiring", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 1)])
    client.subscribe("exp/t", 1)
    client.send(mqtt_raw.disconnect(version=V5))
    client.wait_closed()
    time.sleep(3)
    client = raw(V5)
    assert not client.connect("expiring", clean=False,
                              props=[(mqtt_raw.SESSION_EXPIRY, 1)]).session_present


def test_v5_session_expiry_zero_ends_with_the_connection(raw):
    client = raw(V5)
    client.connect("short", clean=False)
    client.subscribe("s/t", 1)
    client.send(mqtt_raw.disconnect(version=V5))
    client.wait_closed()
    client = raw(V5)
    assert not client.connect("short", clean=False).session_present


def test_clean_start_discards_the_old_session(raw):
    client = raw(V5)
    client.connect("discard", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 300)])
    client.subscribe("d/t", 1)
    client.send(mqtt_raw.disconnect(version=V5))
    client.wait_closed()
    client = raw(V5)
    assert not client.connect("discard", clean=True).session_present
    publisher = raw(V5)
    publisher.connect("d-pub")
    publisher.publish("d/t", "nobody", qos=1, packet_id=1)
    assert publisher.expect(PUBACK).reason == 0x10  # no matching subscribers


def test_v311_persistent_session_survives_reconnect(raw):
    client = raw(V311)
    client.connect("v3persist", clean=False)
    client.subscribe("p/t", 1)
    client.send(mqtt_raw.disconnect())
    client.wait_closed()
    client = raw(V311)
    assert client.connect("v3persist", clean=False).session_present
    publisher = raw(V311)
    publisher.connect("p-pub")
    publisher.publish("p/t", "still-subscribed")
    assert client.expect(PUBLISH).payload == b"still-subscribed"


@pytest.mark.broker_config({"zone.external.mqueue_store_qos0": "true"})  # gatemq's default
def test_qos0_messages_are_queued_when_configured(raw):
    subscriber = raw(V311)
    subscriber.connect("q0-default", clean=False)
    subscriber.subscribe("q0d/t", 0)
    subscriber.send(mqtt_raw.disconnect())
    subscriber.wait_closed()
    publisher = raw(V311)
    publisher.connect("q0d-pub")
    publisher.publish("q0d/t", "queued-qos0")
    publisher.publish("q0d/t", "queued-qos1", qos=1, packet_id=1)
    publisher.expect(PUBACK)
    subscriber = raw(V311)
    assert subscriber.connect("q0-default", clean=False).session_present
    first, second = subscriber.expect(PUBLISH), subscriber.expect(PUBLISH)
    assert [(first.payload, first.qos), (second.payload, second.qos)] == [
        (b"queued-qos0", 0), (b"queued-qos1", 0)]


@pytest.mark.parametrize("version", [V311, V5])
def test_takeover_loses_no_message(raw, version):
    props = [(mqtt_raw.SESSION_EXPIRY, 300)] if version == V5 else None
    old = raw(version)
    old.connect("no-loss", clean=False, props=props)
    old.subscribe("nl/t", 1)
    publisher = raw(version)
    publisher.connect("nl-pub")

    def publish(numbers):
        for i in numbers:
            publisher.publish("nl/t", str(i), qos=1, packet_id=i + 1)
            publisher.expect(PUBACK)

    publish(range(0, 10))
    for i in range(10):  # received and acknowledged by the old connection
        message = old.expect(PUBLISH)
        assert message.payload == str(i).encode()
        old.send(mqtt_raw.ack(PUBACK, message.packet_id, version=version))
    old.send(mqtt_raw.packet(0xC0, b""))  # PINGRESP: the broker has read every PUBACK before
    old.expect(mqtt_raw.PINGRESP)
    publish(range(10, 20))  # sent to the old connection, never acknowledged

    new = raw(version)
    assert new.connect("no-loss", clean=False, props=props).session_present
    publish(range(20, 30))  # after the takeover
    received = []
    while len(received) < 20:
        message = new.expect(PUBLISH)
        received.append(int(message.payload))
        new.send(mqtt_raw.ack(PUBACK, message.packet_id, version=version))
    assert received == list(range(10, 30))
    with pytest.raises(TimeoutError):
        new.recv(timeout=0.5)


def test_takeover_v5_with_paho_keeps_subscriptions(paho):
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 300
    first = paho("paho5-same", protocol=mqtt.MQTTv5, clean=False, properties=props)
    first.subscribe("t/paho5", 1)
    second = paho("paho5-same", protocol=mqtt.MQTTv5, clean=False, properties=props)
    assert second.flags["session present"] == 1
    first.disconnects.get(timeout=10)
    first.client.loop_stop()
    paho("pub5", protocol=mqtt.MQTTv5).publish("t/paho5", b"after", 1)
    assert second.expect().payload == b"after"


@pytest.mark.parametrize("protocol", [mqtt.MQTTv31, mqtt.MQTTv311])
def test_clean_session_discards_the_old_session_v3(paho, protocol):
    first = paho("v3-clean", protocol=protocol, clean=False)
    first.subscribe("v3c/t", 1)
    first.disconnect()
    second = paho("v3-clean", protocol=protocol, clean=True)
    assert second.flags["session present"] == 0
    second.disconnect()
    third = paho("v3-clean", protocol=protocol, clean=False)
    assert third.flags["session present"] == 0


@pytest.mark.parametrize("version", [V311, V5])
def test_taking_over_a_connection_bound_session_starts_a_new_one(raw, version):
    """A clean (3.x) or zero-expiry (v5) session ends with its connection, also when another
    connection takes it over: the newcomer never gets it back, whatever its clean flag."""
    first = raw(version)
    assert not first.connect("bound", clean=True).session_present
    first.subscribe("bound/t", 1)
    second = raw(version)
    props = [(mqtt_raw.SESSION_EXPIRY, 60)] if version == V5 else None
    assert not second.connect("bound", clean=False, props=props).session_present
    first.wait_closed()


def offline_subscriber(raw, client_id, topic_filter="#"):
    subscriber = raw(V311)
    subscriber.connect(client_id, clean=False)
    subscriber.subscribe(topic_filter, 1)
    subscriber.send(mqtt_raw.disconnect())
    subscriber.wait_closed()


def replay(raw, client_id, count):
    subscriber = raw(V311)
    subscriber.connect(client_id, clean=False)
    got = []
    for _ in range(count):
        message = subscriber.expect(PUBLISH)
        got.append((message.topic, message.payload.decode()))
        subscriber.send(mqtt_raw.ack(PUBACK, message.packet_id))
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=0.5)
    return got


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_mqueue_len": "3",
                            "zone.external.mqueue_priorities": "urgent=10"})
def test_full_priority_queue_drops_the_oldest_of_the_lowest_priority(raw):
    offline_subscriber(raw, "prio-drop")
    publisher = raw(V311)
    publisher.connect("prio-drop-pub")
    sent = [("normal", "n0"), ("urgent", "u0"), ("normal", "n1"), ("urgent", "u1"),
            ("normal", "n2")]
    for i, (topic, payload) in enumerate(sent):
        publisher.publish(topic, payload, qos=1, packet_id=i + 1)
        publisher.expect(PUBACK)
    # docs/configuration.md: "when full the oldest of the lowest priority goes".
    assert replay(raw, "prio-drop", 3) == [("urgent", "u0"), ("urgent", "u1"), ("normal", "n2")]


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.mqueue_priorities": "low=1",
                            "zone.external.mqueue_default_priority": "highest"})
def test_default_priority_highest_puts_unlisted_topics_first(raw):
    offline_subscriber(raw, "prio-default")
    publisher = raw(V311)
    publisher.connect("prio-default-pub")
    for i, topic in enumerate(["low", "other", "low", "other"]):
        publisher.publish(topic, str(i), qos=1, packet_id=i + 1)
        publisher.expect(PUBACK)
    assert [t for t, _ in replay(raw, "prio-default", 4)] == ["other", "other", "low", "low"]


@pytest.mark.broker_config({"zone.external.max_mqueue_len": "0"})
@pytest.mark.gatemq_only  # Mosquitto: max_queued_messages 0 also means unlimited, but skip
def test_unlimited_offline_queue(raw):
    offline_subscriber(raw, "unlimited", "unl/t")
    publisher = raw(V311)
    publisher.connect("unl-pub")
    for i in range(1500):
        publisher.publish("unl/t", str(i), qos=1, packet_id=i % 65535 + 1)
    for _ in range(1500):
        publisher.expect(PUBACK)
    got = replay(raw, "unlimited", 1500)
    assert [int(p) for _, p in got] == list(range(1500))


@pytest.mark.gatemq_only  # Mosquitto drops the newest
@pytest.mark.broker_config({"zone.external.max_inflight": "1", "zone.external.max_mqueue_len": "2"})
def test_busy_online_session_queue_drops_the_oldest(raw):
    subscriber = raw(V311)
    subscriber.connect("busy-online")
    subscriber.subscribe("bo/t", 1)
    publisher = raw(V311)
    publisher.connect("bo-pub")
    for i in range(5):
        publisher.publish("bo/t", str(i), qos=1, packet_id=i + 1)
        publisher.expect(PUBACK)
    first = subscriber.expect(PUBLISH)
    assert first.payload == b"0"  # in flight, not in the queue
    got = []
    message = first
    for _ in range(2):
        subscriber.send(mqtt_raw.ack(PUBACK, message.packet_id))
        message = subscriber.expect(PUBLISH)
        got.append(message.payload)
    subscriber.send(mqtt_raw.ack(PUBACK, message.packet_id))
    assert got == [b"3", b"4"]
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=0.5)
