"""QoS 1 and 2 flows, exactly-once across reconnects, and redelivery of unacknowledged messages."""
import time

import pytest

import mqtt_raw
from mqtt_raw import PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, V311, V5


@pytest.mark.parametrize("version", [mqtt_raw.V31, V311, V5])
def test_qos2_exactly_once_across_a_reconnect(raw, version):
    subscriber = raw(version)
    subscriber.connect("qos2-sub")
    subscriber.subscribe("exactly/once", 2)

    publisher = raw(version)
    props = [(mqtt_raw.SESSION_EXPIRY, 300)] if version == V5 else None
    publisher.connect("qos2-pub", clean=False, props=props)
    publisher.publish("exactly/once", "only-once", qos=2, packet_id=7)
    assert publisher.expect(PUBREC).packet_id == 7
    publisher.close()  # gone before PUBREL

    publisher = raw(version)
    connack = publisher.connect("qos2-pub", clean=False, props=props)
    if version != mqtt_raw.V31:  # 3.1 has no session-present flag
        assert connack.session_present
    # The client resends the PUBLISH with DUP: acknowledged again, not routed again.
    publisher.publish("exactly/once", "only-once", qos=2, packet_id=7, dup=True)
    assert publisher.expect(PUBREC).packet_id == 7
    publisher.send(mqtt_raw.ack(PUBREL, 7, version=version))
    assert publisher.expect(PUBCOMP).packet_id == 7

    first = subscriber.expect(PUBLISH)
    assert first.payload == b"only-once" and first.qos == 2
    subscriber.send(mqtt_raw.ack(PUBREC, first.packet_id, version=version))
    assert subscriber.expect(PUBREL).packet_id == first.packet_id
    subscriber.send(mqtt_raw.ack(PUBCOMP, first.packet_id, version=version))
    # A marker after the flow: nothing else may arrive before it.
    publisher.publish("exactly/once", "marker", qos=0)
    assert subscriber.expect(PUBLISH).payload == b"marker"


@pytest.mark.gatemq_only  # Mosquitto answers 0x00, the spec says 0x92
def test_unknown_pubrel_gets_pubcomp(raw):
    client = raw(V5)
    client.connect("pubrel")
    client.send(mqtt_raw.ack(PUBREL, 99, version=V5))
    pubcomp = client.expect(PUBCOMP)
    assert pubcomp.packet_id == 99 and pubcomp.reason == 0x92


@pytest.mark.parametrize("version", [mqtt_raw.V31, V311, V5])
def test_unacked_messages_are_resent_with_dup_on_reconnect(raw, version):
    props = [(mqtt_raw.SESSION_EXPIRY, 300)] if version == V5 else None
    subscriber = raw(version)
    subscriber.connect("resend", clean=False, props=props)
    subscriber.subscribe("resend/t", 1)
    publisher = raw(version)
    publisher.connect("resend-pub")
    publisher.publish("resend/t", "unacked", qos=1, packet_id=1)
    first = subscriber.expect(PUBLISH)
    assert not first.dup
    subscriber.close()  # without PUBACK

    subscriber = raw(version)
    connack = subscriber.connect("resend", clean=False, props=props)
    assert connack.session_present or version == mqtt_raw.V31
    again = subscriber.expect(PUBLISH)
    assert again.dup and again.packet_id == first.packet_id and again.payload == b"unacked"
    subscriber.send(mqtt_raw.ack(PUBACK, again.packet_id, version=version))


@pytest.mark.gatemq_only  # Mosquitto does not resend PUBREL here
def test_pubrel_is_resent_on_reconnect_after_pubrec(raw):
    subscriber = raw(V311)
    subscriber.connect("rel", clean=False)
    subscriber.subscribe("rel/t", 2)
    publisher = raw(V311)
    publisher.connect("rel-pub")
    publisher.publish("rel/t", "x", qos=2, packet_id=1)
    message = subscriber.expect(PUBLISH)
    subscriber.send(mqtt_raw.ack(PUBREC, message.packet_id))
    assert subscriber.expect(PUBREL).packet_id == message.packet_id
    subscriber.close()  # without PUBCOMP

    subscriber = raw(V311)
    subscriber.connect("rel", clean=False)
    assert subscriber.expect(PUBREL).packet_id == message.packet_id
    subscriber.send(mqtt_raw.ack(PUBCOMP, message.packet_id))


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.retry_interval": "1s"})
def test_v311_unacked_message_is_retried_while_connected(raw):
    subscriber = raw(V311)
    subscriber.connect("retry")
    subscriber.subscribe("retry/t", 1)
    publisher = raw(V311)
    publisher.connect("retry-pub")
    publisher.publish("retry/t", "again", qos=1, packet_id=1)
    first = subscriber.expect(PUBLISH)
    again = subscriber.expect(PUBLISH, timeout=15)
    assert again.dup and again.packet_id == first.packet_id


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.retry_interval": "5s"})
def test_v311_each_unacked_message_is_retried_one_interval_after_its_own_send(raw):
    """Resends follow each message's own send time, not a cycle counted from CONNECT (where a
    message sent just after CONNECT came back only after two intervals), and keep going once per
    interval in the order first sent. The only timing involved is a margin of half an interval
    (2.5 s) either way around the marker."""
    subscriber = raw(V311)
    subscriber.connect("own-retry")
    subscriber.subscribe("own/t", 1)
    publisher = raw(V311)
    publisher.connect("own-retry-pub")
    publisher.publish("own/t", "a", qos=1, packet_id=1)
    a = subscriber.expect(PUBLISH)
    time.sleep(1)
    publisher.publish("own/t", "b", qos=1, packet_id=2)
    b = subscriber.expect(PUBLISH)
    assert not a.dup and not b.dup
    time.sleep(6.5)  # 1.5 retry intervals after "a" went out
    publisher.publish("own/t", "marker")
    seen = []
    while [p.payload for p in seen if p.dup].count(b"b") < 2:
        seen.append(subscriber.expect(PUBLISH, timeout=15))
    payloads = [p.payload for p in seen]
    assert payloads.index(b"a") < payloads.index(b"marker"), payloads
    resent = [p for p in seen if p.payload != b"marker"]
    assert all(p.dup for p in resent)
    assert [(p.payload, p.packet_id) for p in resent] == [
        (b"a", a.packet_id), (b"b", b.packet_id), (b"a", a.packet_id), (b"b", b.packet_id)]
    subscriber.send(mqtt_raw.ack(PUBACK, a.packet_id))
    subscriber.send(mqtt_raw.ack(PUBACK, b.packet_id))


@pytest.mark.broker_config({"zone.external.max_inflight": "2"})
def test_inflight_window_holds_back_the_rest_until_acked(raw):
    subscriber = raw(V311)
    subscriber.connect("window")
    subscriber.subscribe("w", 1)
    publisher = raw(V311)
    publisher.connect("window-pub")
    for i in range(5):
        publisher.publish("w", str(i), qos=1, packet_id=i + 1)
    first, second = subscriber.expect(PUBLISH), subscriber.expect(PUBLISH)
    assert [first.payload, second.payload] == [b"0", b"1"]
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=1)
    subscriber.send(mqtt_raw.ack(PUBACK, first.packet_id))
    assert subscriber.expect(PUBLISH).payload == b"2"


def test_packet_ids_are_unique_among_inflight_messages(raw):
    subscriber = raw(V311)
    subscriber.connect("ids")
    subscriber.subscribe("ids", 2)
    publisher = raw(V311)
    publisher.connect("ids-pub")
    for i in range(20):
        publisher.publish("ids", str(i), qos=1, packet_id=i + 1)
    ids = [subscriber.expect(PUBLISH).packet_id for _ in range(20)]
    assert len(set(ids)) == 20 and 0 not in ids


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"listener.tcp.external.send_timeout": "1s"})
def test_subscriber_that_stops_reading_is_disconnected(raw):
    subscriber = raw(V311)
    subscriber.connect("stalled")
    subscriber.subscribe("flood", 0)
    publisher = raw(V311)
    publisher.connect("flooder")
    chunk = "x" * 100_000
    for _ in range(300):  # 30 MB: far beyond every socket buffer
        publisher.publish("flood", chunk)
    publisher.send(mqtt_raw.packet(0xC0, b""))
    publisher.expect(mqtt_raw.PINGRESP)  # the broker took it all and kept serving
    time.sleep(3)  # the subscriber reads nothing for longer than send_timeout
    received = subscriber.wait_closed(timeout=60)
    assert len(received) < 300


@pytest.mark.parametrize("version", [V311, V5])
def test_unacked_qos2_is_resent_with_dup_on_reconnect(raw, version):
    props = [(mqtt_raw.SESSION_EXPIRY, 300)] if version == V5 else None
    subscriber = raw(version)
    subscriber.connect("resend2", clean=False, props=props)
    subscriber.subscribe("resend2/t", 2)
    publisher = raw(version)
    publisher.connect("resend2-pub")
    publisher.publish("resend2/t", "unacked", qos=2, packet_id=1)
    publisher.expect(PUBREC)
    publisher.send(mqtt_raw.ack(PUBREL, 1, version=version))
    publisher.expect(PUBCOMP)
    first = subscriber.expect(PUBLISH)
    assert first.qos == 2 and not first.dup
    subscriber.close()  # without PUBREC

    subscriber = raw(version)
    assert subscriber.connect("resend2", clean=False, props=props).session_present
    again = subscriber.expect(PUBLISH)
    assert again.dup and again.packet_id == first.packet_id and again.payload == b"unacked"
    subscriber.send(mqtt_raw.ack(PUBREC, again.packet_id, version=version))
    assert subscriber.expect(PUBREL).packet_id == again.packet_id
    subscriber.send(mqtt_raw.ack(PUBCOMP, again.packet_id, version=version))
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=0.5)


@pytest.mark.parametrize("version", [V311, V5])
def test_qos1_duplicate_publish_is_acknowledged(raw, version):
    subscriber = raw(version)
    subscriber.connect("dup1-sub")
    subscriber.subscribe("dup1", 1)
    publisher = raw(version)
    publisher.connect("dup1-pub")
    publisher.publish("dup1", "a", qos=1, packet_id=3)
    assert publisher.expect(PUBACK).packet_id == 3
    publisher.publish("dup1", "a", qos=1, packet_id=3, dup=True)
    assert publisher.expect(PUBACK).packet_id == 3
    # QoS 1 is at-least-once: one or two copies, never none.
    assert subscriber.expect(PUBLISH).payload == b"a"


@pytest.mark.broker_config({"zone.external.retry_interval": "1s"})
def test_v5_unacked_message_is_not_resent_while_connected(raw):
    # MQTT 5 4.4: resending happens only on reconnect with an existing session.
    subscriber = raw(V5)
    subscriber.connect("no-retry5")
    subscriber.subscribe("nr5/t", 1)
    publisher = raw(V5)
    publisher.connect("no-retry5-pub")
    publisher.publish("nr5/t", "once", qos=1, packet_id=1)
    first = subscriber.expect(PUBLISH)
    assert not first.dup
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=3)
    subscriber.send(mqtt_raw.ack(PUBACK, first.packet_id, version=V5))


@pytest.mark.parametrize("version", [V311, V5])
def test_qos2_duplicate_on_the_same_connection_is_delivered_once(raw, version):
    subscriber = raw(version)
    subscriber.connect("dup2-sub")
    subscriber.subscribe("dup2/t", 0)
    publisher = raw(version)
    publisher.connect("dup2-pub")
    publisher.publish("dup2/t", "one", qos=2, packet_id=5)
    assert publisher.expect(PUBREC).packet_id == 5
    publisher.publish("dup2/t", "one", qos=2, packet_id=5, dup=True)
    assert publisher.expect(PUBREC).packet_id == 5
    publisher.send(mqtt_raw.ack(PUBREL, 5, version=version))
    assert publisher.expect(PUBCOMP).packet_id == 5
    publisher.publish("dup2/t", "marker")
    assert subscriber.expect(PUBLISH).payload == b"one"
    assert subscriber.expect(PUBLISH).payload == b"marker"


def test_v311_unknown_pubrel_still_gets_pubcomp(raw):
    client = raw(V311)
    client.connect("pubrel311")
    client.send(mqtt_raw.ack(PUBREL, 77))
    assert client.expect(PUBCOMP).packet_id == 77


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.retry_interval": "1s"})
def test_v311_pubrel_is_retried_while_connected(raw):
    subscriber = raw(V311)
    subscriber.connect("relretry")
    subscriber.subscribe("relretry/t", 2)
    publisher = raw(V311)
    publisher.connect("relretry-pub")
    publisher.publish("relretry/t", "x", qos=1, packet_id=1)  # delivered at QoS 1...
    publisher.publish("relretry/t", "y", qos=2, packet_id=2)
    publisher.expect(PUBACK)
    publisher.expect(PUBREC)
    publisher.send(mqtt_raw.ack(PUBREL, 2))
    publisher.expect(PUBCOMP)
    first = subscriber.expect(PUBLISH)
    subscriber.send(mqtt_raw.ack(PUBACK, first.packet_id))
    message = subscriber.expect(PUBLISH)
    assert message.qos == 2
    subscriber.send(mqtt_raw.ack(PUBREC, message.packet_id))
    assert subscriber.expect(PUBREL).packet_id == message.packet_id
    again = subscriber.expect(PUBREL, timeout=15)  # no PUBCOMP: the broker retries PUBREL
    assert again.packet_id == message.packet_id
    subscriber.send(mqtt_raw.ack(PUBCOMP, message.packet_id))


@pytest.mark.gatemq_only  # Mosquitto lets a v5 client's Receive Maximum replace the setting
@pytest.mark.broker_config({"zone.external.max_inflight": "2"})
def test_v5_inflight_window_is_the_lower_of_max_inflight_and_receive_maximum(raw):
    subscriber = raw(V5)
    subscriber.connect("window5", props=[(mqtt_raw.RECEIVE_MAXIMUM, 10)])
    subscriber.subscribe("w5", 1)
    publisher = raw(V5)
    publisher.connect("window5-pub")
    for i in range(5):
        publisher.publish("w5", str(i), qos=1, packet_id=i + 1)
    first, second = subscriber.expect(PUBLISH), subscriber.expect(PUBLISH)
    assert [first.payload, second.payload] == [b"0", b"1"]
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=1)
    subscriber.send(mqtt_raw.ack(PUBACK, first.packet_id, version=V5))
    assert subscriber.expect(PUBLISH).payload == b"2"


@pytest.mark.broker_config({"zone.external.max_inflight": "1"})
def test_qos0_is_not_held_back_by_a_full_inflight_window(raw):
    subscriber = raw(V311)
    subscriber.connect("q0-window")
    subscriber.subscribe("q0w/t", 1)
    publisher = raw(V311)
    publisher.connect("q0w-pub")
    publisher.publish("q0w/t", "qos1", qos=1, packet_id=1)
    assert subscriber.expect(PUBLISH).payload == b"qos1"  # never acknowledged
    publisher.publish("q0w/t", "qos0", qos=0)
    message = subscriber.expect(PUBLISH)
    assert (message.payload, message.qos) == (b"qos0", 0)
