"""Topic filter matching edge cases (MQTT 4.7), routing fan-out and packet identifier reuse."""
import pytest

import mqtt_raw
from mqtt_raw import PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, V311, V5

# (filter, topic, matches)
CASES = [
    ("a/+", "a/", True),  # an empty level is a level
    ("a/+", "a", False),
    ("a/#", "a", True),  # '#' also matches the parent level
    ("a/#", "a/", True),
    ("a/#", "ab", False),
    ("+/+", "/a", True),
    ("+", "/a", False),
    ("/+", "/a", True),
    ("#", "/", True),
    ("+/#", "a", True),
    ("a//b", "a//b", True),
    ("a/+/b", "a//b", True),
    ("a/+/b", "a/x/y/b", False),
    ("+/+/+", "a/b", False),
    ("A/b", "a/b", False),  # case sensitive
    ("a/b ", "a/b", False),  # spaces are significant
    ("caf\u00e9/+", "caf\u00e9/x", True),
    ("a/b/c/d/e/f/g/h/#", "a/b/c/d/e/f/g/h/i/j", True),
    ("+/b/#", "a/b", True),
    ("$SYS/#", "$SYS/x", True),
    ("+/x", "$SYS/x", False),
    ("#", "$x", False),
    ("$x/+", "$x/y", True),
]


def test_filter_matching(raw):
    publisher = raw(V311)
    publisher.connect("matcher-pub")
    subscribers = []
    for i, (topic_filter, _, _) in enumerate(CASES):
        subscriber = raw(V311)
        subscriber.connect(f"matcher-{i}")
        subscriber.subscribe(f"end/{i}", 0, packet_id=2)
        subscriber.subscribe(topic_filter, 0)  # retained messages may follow this SUBACK
        subscribers.append(subscriber)
    for i, (_, topic, _) in enumerate(CASES):
        if topic.startswith("$SYS"):
            continue  # clients may not publish there: covered by the "$x" cases
        publisher.publish(topic, f"case-{i}")
    for i in range(len(CASES)):
        publisher.publish(f"end/{i}", "end")
    problems = []
    for i, (topic_filter, topic, matches) in enumerate(CASES):
        if topic.startswith("$SYS"):
            continue
        got = []
        while True:
            message = subscribers[i].expect(PUBLISH)
            if message.topic == f"end/{i}":
                break
            got.append((message.topic, message.payload.decode()))
        own = [g for g in got if g[1] == f"case-{i}"]
        if bool(own) != matches:
            problems.append(f"filter {topic_filter!r} vs topic {topic!r}: "
                            f"{'delivered' if own else 'not delivered'}, expected the opposite")
    assert problems == []


@pytest.mark.parametrize("version", [V311, V5])
def test_resubscribing_replaces_the_subscription(raw, version):
    subscriber = raw(version)
    subscriber.connect("resub")
    assert subscriber.subscribe("re/t", 0).codes == [0]
    assert subscriber.subscribe("re/t", 1, packet_id=2).codes == [1]
    publisher = raw(version)
    publisher.connect("resub-pub")
    publisher.publish("re/t", "once", qos=1, packet_id=1)
    publisher.publish("re/t", "marker", qos=0)
    message = subscriber.expect(PUBLISH)
    assert (message.payload, message.qos) == (b"once", 1)
    subscriber.send(mqtt_raw.ack(PUBACK, message.packet_id, version=version))
    assert subscriber.expect(PUBLISH).payload == b"marker"  # no second copy


def test_subscription_identifier_is_replaced_on_resubscribe(raw):
    subscriber = raw(V5)
    subscriber.connect("resub-id")
    subscriber.subscribe("rid/t", 0, props=[(mqtt_raw.SUBSCRIPTION_ID, 1)])
    subscriber.subscribe("rid/t", 0, packet_id=2, props=[(mqtt_raw.SUBSCRIPTION_ID, 2)])
    publisher = raw(V5)
    publisher.connect("rid-pub")
    publisher.publish("rid/t", "x")
    assert subscriber.expect(PUBLISH).props[mqtt_raw.SUBSCRIPTION_ID] == [2]


@pytest.mark.parametrize("version", [V311, V5])
def test_qos2_packet_id_can_be_reused_after_pubcomp(raw, version):
    subscriber = raw(version)
    subscriber.connect("reuse2-sub")
    subscriber.subscribe("reuse/t", 0)
    publisher = raw(version)
    publisher.connect("reuse2-pub")
    for payload in ("first", "second", "third"):
        publisher.publish("reuse/t", payload, qos=2, packet_id=1)
        assert publisher.expect(PUBREC).packet_id == 1
        publisher.send(mqtt_raw.ack(PUBREL, 1, version=version))
        assert publisher.expect(PUBCOMP).packet_id == 1
    assert [subscriber.expect(PUBLISH).payload for _ in range(3)] == [
        b"first", b"second", b"third"]


@pytest.mark.parametrize("version", [V311, V5])
def test_qos1_packet_id_can_be_reused_after_puback(raw, version):
    subscriber = raw(version)
    subscriber.connect("reuse1-sub")
    subscriber.subscribe("reuse1/t", 0)
    publisher = raw(version)
    publisher.connect("reuse1-pub")
    for payload in ("a", "b", "c"):
        publisher.publish("reuse1/t", payload, qos=1, packet_id=7)
        assert publisher.expect(PUBACK).packet_id == 7
    assert [subscriber.expect(PUBLISH).payload for _ in range(3)] == [b"a", b"b", b"c"]


def test_fan_out_to_many_subscribers(raw):
    subscribers = []
    for i in range(40):
        subscriber = raw(V5 if i % 2 else V311)
        subscriber.connect(f"fan-{i}")
        subscriber.subscribe("fan/#" if i % 3 else "fan/+", 1)
        subscribers.append(subscriber)
    publisher = raw(V5)
    publisher.connect("fan-pub")
    for i in range(10):
        publisher.publish("fan/t", str(i), qos=1, packet_id=i + 1)
    for subscriber in subscribers:
        got = []
        for _ in range(10):
            message = subscriber.expect(PUBLISH)
            got.append(int(message.payload))
            subscriber.send(mqtt_raw.ack(PUBACK, message.packet_id, version=subscriber.version))
        assert got == list(range(10))


def test_offline_queue_longer_than_the_inflight_window_keeps_order(raw):
    subscriber = raw(V311)
    subscriber.connect("long-queue", clean=False)
    subscriber.subscribe("lq/t", 1)
    subscriber.send(mqtt_raw.disconnect())
    subscriber.wait_closed()
    publisher = raw(V311)
    publisher.connect("lq-pub")
    for i in range(150):
        publisher.publish("lq/t", str(i), qos=1, packet_id=i % 60000 + 1)
        publisher.expect(PUBACK)
    subscriber = raw(V311)
    subscriber.connect("long-queue", clean=False)
    got = []
    while len(got) < 150:
        message = subscriber.expect(PUBLISH)
        got.append(int(message.payload))
        subscriber.send(mqtt_raw.ack(PUBACK, message.packet_id))
    assert got == list(range(150))


def test_takeover_across_protocol_versions(raw):
    old = raw(V311)
    old.connect("switcher", clean=False)
    old.subscribe("switch/t", 1)
    new = raw(V5)
    connack = new.connect("switcher", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 300)])
    assert connack.session_present
    old.wait_closed()
    publisher = raw(V311)
    publisher.connect("switch-pub")
    publisher.publish("switch/t", "to-v5", qos=1, packet_id=1)
    assert new.expect(PUBLISH).payload == b"to-v5"


@pytest.mark.gatemq_only  # Mosquitto closes without DISCONNECT 0x8E
def test_takeover_with_clean_start_discards_and_notifies(raw):
    old = raw(V5)
    old.connect("fresh", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 300)])
    old.subscribe("fresh/t", 1)
    new = raw(V5)
    assert not new.connect("fresh", clean=True).session_present
    packets = old.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x8E
    publisher = raw(V5)
    publisher.connect("fresh-pub")
    publisher.publish("fresh/t", "x", qos=1, packet_id=1)
    assert publisher.expect(PUBACK).reason == 0x10  # the old subscription is gone
