"""Shared subscriptions ($share/<group>/<filter>, $queue/<filter>) with every
broker.shared_subscription_strategy, against paho and byte-level clients."""
import collections

import pytest

import mqtt_raw
from mqtt_raw import DISCONNECT, PUBLISH, V311, V5

pytestmark = pytest.mark.gatemq_only


def drain(client, timeout=0.5):
    """Every PUBLISH that arrives until the client stays quiet for `timeout`."""
    received = []
    while True:
        try:
            packet = client.recv(timeout=timeout)
        except TimeoutError:
            return received
        if packet.type == PUBLISH:
            received.append(packet)
            if packet.qos == 1:
                client.send(mqtt_raw.ack(mqtt_raw.PUBACK, packet.packet_id, version=client.version))


def members(broker, count, topic_filter, version=V5, prefix="m"):
    clients = []
    for i in range(count):
        client = mqtt_raw.RawClient(broker.port, version)
        assert client.connect(f"{prefix}{i}").reason == 0
        assert client.subscribe(topic_filter, 1).codes == [1]
        clients.append(client)
    return clients


def publish_many(broker, topic_of, count, client_id="publisher"):
    publisher = mqtt_raw.RawClient(broker.port, V311)
    assert publisher.connect(client_id).reason == 0
    for i in range(count):
        publisher.publish(topic_of(i), str(i), qos=1, packet_id=i + 1)
        publisher.expect(mqtt_raw.PUBACK)
    return publisher


def test_each_message_goes_to_one_member_of_each_group(broker):
    group_a = members(broker, 3, "$share/a/sensors/+", prefix="a")
    group_b = members(broker, 2, "$share/b/sensors/#", prefix="b")
    plain = members(broker, 1, "sensors/+", prefix="plain")[0]
    publish_many(broker, lambda i: f"sensors/{i}", 30)
    a = [drain(c) for c in group_a]
    b = [drain(c) for c in group_b]
    assert sorted(p.payload for got in a for p in got) == sorted(str(i).encode() for i in range(30))
    assert sorted(p.payload for got in b for p in got) == sorted(str(i).encode() for i in range(30))
    assert len(drain(plain)) == 30, "ordinary subscribers get everything"
    assert all(p.topic.startswith("sensors/") for got in a + b for p in got)


def test_queue_prefix_is_a_group_too(broker):
    queue = members(broker, 2, "$queue/jobs", prefix="q")
    publish_many(broker, lambda i: "jobs", 10)
    assert sum(len(drain(c)) for c in queue) == 10


@pytest.mark.broker_config({"broker.shared_subscription_strategy": "round_robin"})
def test_round_robin_takes_turns(broker):
    group = members(broker, 3, "$share/g/rr")
    publish_many(broker, lambda i: "rr", 9)
    assert [len(drain(c)) for c in group] == [3, 3, 3]


@pytest.mark.broker_config({"broker.shared_subscription_strategy": "sticky"})
def test_sticky_keeps_one_member_until_it_leaves(broker):
    group = members(broker, 3, "$share/g/st")
    publish_many(broker, lambda i: "st", 6)
    counts = [len(drain(c)) for c in group]
    assert sorted(counts) == [0, 0, 6]
    chosen = counts.index(6)
    group[chosen].send(mqtt_raw.disconnect())
    group[chosen].wait_closed()
    publish_many(broker, lambda i: "st", 4, client_id="publisher-2")
    others = [len(drain(c)) for i, c in enumerate(group) if i != chosen]
    assert sorted(others) == [0, 4], "a new sticky choice among those online"


@pytest.mark.broker_config({"broker.shared_subscription_strategy": "hash"})
def test_hash_by_publisher_client_id(broker):
    group = members(broker, 3, "$share/g/h")
    for publisher in ("p-one", "p-two", "p-three", "p-four"):
        publish_many(broker, lambda i: "h", 4, client_id=publisher)
        counts = [len(drain(c)) for c in group]
        assert sorted(counts) == [0, 0, 4], f"all of {publisher}'s messages to one member"


@pytest.mark.broker_config({"broker.shared_subscription_strategy": "hash_topic"})
def test_hash_by_topic(broker):
    group = members(broker, 3, "$share/g/ht/+")
    publish_many(broker, lambda i: f"ht/{i % 3}", 12)
    by_member = [collections.Counter(p.topic for p in drain(c)) for c in group]
    for topic in ("ht/0", "ht/1", "ht/2"):
        holders = [counts[topic] for counts in by_member if counts[topic]]
        assert holders == [4], f"every {topic} message to the same member"


@pytest.mark.broker_config({"broker.shared_subscription_strategy": "random"})
def test_random_spreads_and_loses_nothing(broker):
    group = members(broker, 2, "$share/g/rand")
    publish_many(broker, lambda i: "rand", 40)
    counts = [len(drain(c)) for c in group]
    assert sum(counts) == 40
    assert min(counts) > 0, "40 fair coin flips all landing on one side is a 1 in 2^39 event"


def test_offline_members_are_skipped_while_one_is_online(broker):
    stays = members(broker, 1, "$share/g/off", prefix="online")[0]
    leaves = mqtt_raw.RawClient(broker.port, V5)
    assert leaves.connect("offline", clean=False,
                          props=[(mqtt_raw.SESSION_EXPIRY, 300)]).reason == 0
    assert leaves.subscribe("$share/g/off", 1).codes == [1]
    leaves.send(mqtt_raw.disconnect(version=V5))
    leaves.wait_closed()
    publish_many(broker, lambda i: "off", 10)
    assert len(drain(stays)) == 10


def test_no_retained_messages_for_shared_subscriptions(broker):
    publisher = mqtt_raw.RawClient(broker.port, V311)
    publisher.connect("retainer")
    publisher.publish("ret/t", "kept", qos=1, retain=True)
    publisher.expect(mqtt_raw.PUBACK)
    shared = members(broker, 1, "$share/g/ret/t")[0]
    assert drain(shared) == []
    plain = members(broker, 1, "ret/t", prefix="plain")[0]
    assert [p.payload for p in drain(plain)] == [b"kept"]


def test_no_local_on_a_shared_subscription_is_a_protocol_error(broker):
    client = mqtt_raw.RawClient(broker.port, V5)
    client.connect("no-local")
    client.send(mqtt_raw.subscribe(1, [("$share/g/t", 0x05)], V5))  # QoS 1 + No Local
    assert client.expect(DISCONNECT).reason == 0x82


def test_unsubscribe_leaves_the_group(broker):
    group = members(broker, 2, "$share/g/u")
    group[0].send(mqtt_raw.unsubscribe(9, ["$share/g/u"], V5))
    assert group[0].expect(mqtt_raw.UNSUBACK).codes == [0]
    publish_many(broker, lambda i: "u", 5)
    assert len(drain(group[0])) == 0 and len(drain(group[1])) == 5


@pytest.mark.broker_config({"listener.tcp.external.mountpoint": "tenant/%c/"})
def test_shared_subscriptions_under_a_mountpoint(broker, paho):
    member = members(broker, 1, "$share/g/data")[0]  # client m0: tenant/m0/data
    outsider = paho("outsider", port=broker.internal_port)
    outsider.publish("tenant/m0/data", b"inside", qos=1)
    packets = drain(member)
    assert [(p.topic, p.payload) for p in packets] == [("data", b"inside")]


def unacknowledged_on_one_member(broker, qos):
    """m1 (persistent) is offline while m0 receives `qos` messages and acknowledges none; then m1
    comes back and m0 drops its connection. Returns (m1, payloads m0 received)."""
    m1 = mqtt_raw.RawClient(broker.port, V311)
    assert m1.connect("m1", clean=False).reason == 0
    assert m1.subscribe("$share/g/work", qos).codes == [qos]
    m1.close()
    m0 = mqtt_raw.RawClient(broker.port, V311)
    assert m0.connect("m0").reason == 0
    assert m0.subscribe("$share/g/work", qos).codes == [qos]
    publisher = mqtt_raw.RawClient(broker.port, V311)
    assert publisher.connect("publisher").reason == 0
    for i in range(5):
        publisher.publish("work", f"job{i}", qos=1, packet_id=i + 1)
        publisher.expect(mqtt_raw.PUBACK)
    on_m0 = [m0.expect(PUBLISH).payload for _ in range(5)]
    m1 = mqtt_raw.RawClient(broker.port, V311)
    assert m1.connect("m1", clean=False).reason == 0
    m0.close()  # no PUBACK/PUBREC for any of them
    return m1, on_m0


@pytest.mark.broker_config({"broker.shared_dispatch_ack_enabled": "true"})
@pytest.mark.parametrize("qos", [1, 2])
def test_unacknowledged_messages_of_a_leaving_member_go_to_another(broker, qos):
    m1, on_m0 = unacknowledged_on_one_member(broker, qos)
    assert on_m0 == [f"job{i}".encode() for i in range(5)]
    redispatched, released = [], 0
    while len(redispatched) < 5 or (qos == 2 and released < 5):
        packet = m1.recv()
        if packet.type == mqtt_raw.PUBREL:
            m1.send(mqtt_raw.ack(mqtt_raw.PUBCOMP, packet.packet_id))
            released += 1
            continue
        assert packet.type == PUBLISH
        redispatched.append(packet.payload)
        ack = mqtt_raw.PUBACK if qos == 1 else mqtt_raw.PUBREC
        m1.send(mqtt_raw.ack(ack, packet.packet_id))
    assert sorted(redispatched) == sorted(on_m0)
    assert drain(m1) == [], "each exactly once"


def test_without_dispatch_ack_a_leaving_member_keeps_its_messages(broker):
    m1, _ = unacknowledged_on_one_member(broker, 1)
    assert drain(m1) == []
