"""Retained messages and the v5 subscription options that govern them."""
import time

import pytest

import mqtt_raw
from mqtt_raw import PUBACK, PUBLISH, V311, V5


def publish_retained(raw, topic, payload, version=V311, props=None):
    publisher = raw(version)
    publisher.connect(f"retainer-{topic}-{len(payload)}")
    publisher.publish(topic, payload, qos=1, packet_id=1, retain=True, props=props)
    publisher.expect(PUBACK)
    publisher.close()


def test_retained_message_is_delivered_on_subscribe(raw):
    publish_retained(raw, "ret/a", "kept")
    subscriber = raw(V311)
    subscriber.connect("sub")
    subscriber.subscribe("ret/#", 1)
    message = subscriber.expect(PUBLISH)
    assert message.payload == b"kept" and message.retain and message.topic == "ret/a"


def test_retained_message_is_replaced_and_deleted(raw):
    publish_retained(raw, "ret/b", "first")
    publish_retained(raw, "ret/b", "second")
    subscriber = raw(V311)
    subscriber.connect("sub1")
    subscriber.subscribe("ret/b", 0)
    assert subscriber.expect(PUBLISH).payload == b"second"
    publish_retained(raw, "ret/b", "")  # an empty payload deletes
    late = raw(V311)
    late.connect("sub2")
    late.subscribe("ret/b", 0)
    late.subscribe("marker", 0, packet_id=2)
    publisher = raw(V311)
    publisher.connect("marker-pub")
    publisher.publish("marker", "m")
    message = late.expect(PUBLISH)
    assert message.topic == "marker"


def test_live_delivery_clears_the_retain_flag_for_v311(raw):
    subscriber = raw(V311)
    subscriber.connect("live")
    subscriber.subscribe("live/t", 0)
    publisher = raw(V311)
    publisher.connect("live-pub")
    publisher.publish("live/t", "now", retain=True)
    assert not subscriber.expect(PUBLISH).retain


@pytest.mark.parametrize("handling,expect_on_first,expect_on_second", [
    (0, True, True), (1, True, False), (2, False, False)])
def test_v5_retain_handling(raw, handling, expect_on_first, expect_on_second):
    publish_retained(raw, "rh/t", "retained")
    subscriber = raw(V5)
    subscriber.connect("rh")
    subscriber.subscribe("marker", 0, packet_id=9)
    marker = raw(V5)
    marker.connect("marker")
    for packet_id, expected in ((1, expect_on_first), (2, expect_on_second)):
        subscriber.send(mqtt_raw.subscribe(packet_id, [("rh/t", 1 | handling << 4)], version=V5))
        subscriber.expect(mqtt_raw.SUBACK)  # retained messages follow the SUBACK
        marker.publish("marker", "m")
        received = []
        while True:
            packet = subscriber.recv()
            if packet.type == PUBLISH and packet.topic == "marker":
                break
            if packet.type == PUBLISH:
                received.append((packet.payload, packet.retain))
        assert received == ([(b"retained", True)] if expected else [])


def test_v5_retain_as_published(raw):
    subscriber = raw(V5)
    subscriber.connect("rap")
    subscriber.send(mqtt_raw.subscribe(1, [("rap/keep", 0x08), ("rap/clear", 0x00)], version=V5))
    subscriber.expect(mqtt_raw.SUBACK)
    publisher = raw(V5)
    publisher.connect("rap-pub")
    publisher.publish("rap/keep", "a", retain=True)
    assert subscriber.expect(PUBLISH).retain
    publisher.publish("rap/clear", "b", retain=True)
    assert not subscriber.expect(PUBLISH).retain


def test_retained_message_expires(raw):
    publish_retained(raw, "exp/r", "short-lived", version=V5, props=[(mqtt_raw.MESSAGE_EXPIRY, 1)])
    time.sleep(2.5)
    subscriber = raw(V5)
    subscriber.connect("late")
    subscriber.subscribe("exp/r", 0)
    subscriber.subscribe("marker", 0, packet_id=2)
    publisher = raw(V5)
    publisher.connect("m")
    publisher.publish("marker", "m")
    assert subscriber.expect(PUBLISH).topic == "marker"


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"retainer.max_payload_size": "10B"})
def test_retained_payload_over_the_limit_is_not_stored(raw):
    publish_retained(raw, "big/r", "x" * 11)
    publish_retained(raw, "small/r", "x" * 10)
    subscriber = raw(V311)
    subscriber.connect("s")
    subscriber.subscribe("+/r", 0)
    assert subscriber.expect(PUBLISH).topic == "small/r"


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"retainer.max_retained_messages": "1"})
def test_retained_store_limit(raw):
    publish_retained(raw, "one", "1")
    publish_retained(raw, "two", "2")
    publish_retained(raw, "one", "1b")  # replacing an existing topic is always allowed
    subscriber = raw(V311)
    subscriber.connect("s")
    subscriber.subscribe("#", 0)
    assert subscriber.expect(PUBLISH).payload == b"1b"
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=1)
