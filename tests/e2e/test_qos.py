"""QoS 1 and 2 flows, exactly-once across reconnects, and redelivery of unacknowledged messages."""
import pytest

import mqtt_raw
from mqtt_raw import PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, V311, V5


@pytest.mark.parametrize("version", [V311, V5])
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


@pytest.mark.parametrize("version", [V311, V5])
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
    assert subscriber.connect("resend", clean=False, props=props).session_present
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
    import time
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
