"""MQTT 5 features end to end."""
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

import mqtt_raw
from mqtt_raw import PUBACK, PUBLISH, V5


def test_topic_alias_from_the_client(raw):
    subscriber = raw(V5)
    subscriber.connect("alias-sub")
    subscriber.subscribe("alias/long/topic/name", 0)
    publisher = raw(V5)
    publisher.connect("alias-pub")
    publisher.publish("alias/long/topic/name", "first", props=[(mqtt_raw.TOPIC_ALIAS, 3)])
    publisher.publish("", "second", props=[(mqtt_raw.TOPIC_ALIAS, 3)])
    assert [subscriber.expect(PUBLISH).payload for _ in range(2)] == [b"first", b"second"]


def test_topic_alias_above_the_maximum_is_refused(raw):
    publisher = raw(V5)
    publisher.connect("alias-bad")
    publisher.publish("t", "x", props=[(mqtt_raw.TOPIC_ALIAS, 11)])  # maximum is 10
    packets = publisher.wait_closed()
    assert packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x94


def test_unknown_topic_alias_is_a_protocol_error(raw):
    publisher = raw(V5)
    publisher.connect("alias-unknown")
    publisher.publish("", "x", props=[(mqtt_raw.TOPIC_ALIAS, 2)])
    packets = publisher.wait_closed()
    assert packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x82


@pytest.mark.gatemq_only
def test_topic_alias_to_the_client(raw):
    subscriber = raw(V5)
    subscriber.connect("alias-down", props=[(mqtt_raw.TOPIC_ALIAS_MAXIMUM, 5)])
    subscriber.subscribe("down/alias", 0)
    publisher = raw(V5)
    publisher.connect("alias-down-pub")
    publisher.publish("down/alias", "1")
    publisher.publish("down/alias", "2")
    first, second = subscriber.expect(PUBLISH), subscriber.expect(PUBLISH)
    assert first.topic == "down/alias" and first.props.get(mqtt_raw.TOPIC_ALIAS)
    assert second.topic == "" and second.props[mqtt_raw.TOPIC_ALIAS] == first.props[mqtt_raw.TOPIC_ALIAS]


def test_paho_gets_full_topics_when_it_allows_no_aliases(paho):
    # paho 1.6 cannot resolve aliases it receives, so it must not be sent any: it advertises no
    # Topic Alias Maximum, and the broker then always sends the topic name.
    subscriber = paho("paho-alias", protocol=mqtt.MQTTv5)
    subscriber.subscribe("paho/alias", 0)
    publisher = paho("paho-alias-pub", protocol=mqtt.MQTTv5)
    for i in range(3):
        publisher.publish("paho/alias", str(i).encode())
    assert [m.topic for m in (subscriber.expect() for _ in range(3))] == ["paho/alias"] * 3


def test_receive_maximum_limits_unacknowledged_messages(raw):
    subscriber = raw(V5)
    subscriber.connect("rm", props=[(mqtt_raw.RECEIVE_MAXIMUM, 2)])
    subscriber.subscribe("rm/t", 1)
    publisher = raw(V5)
    publisher.connect("rm-pub")
    for i in range(4):
        publisher.publish("rm/t", str(i), qos=1, packet_id=i + 1)
    first, second = subscriber.expect(PUBLISH), subscriber.expect(PUBLISH)
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=1)
    subscriber.send(mqtt_raw.ack(PUBACK, first.packet_id, version=V5))
    assert subscriber.expect(PUBLISH).payload == b"2"


def test_client_maximum_packet_size_is_respected(raw):
    subscriber = raw(V5)
    subscriber.connect("small-client", props=[(mqtt_raw.MAXIMUM_PACKET_SIZE, 100)])
    subscriber.subscribe("mps", 0)
    publisher = raw(V5)
    publisher.connect("mps-pub")
    publisher.publish("mps", "x" * 200)
    publisher.publish("mps", "fits")
    assert subscriber.expect(PUBLISH).payload == b"fits"


def test_subscription_identifiers_are_delivered(raw):
    subscriber = raw(V5)
    subscriber.connect("subid")
    subscriber.subscribe("sid/+", 0, props=[(mqtt_raw.SUBSCRIPTION_ID, 42)])
    publisher = raw(V5)
    publisher.connect("subid-pub")
    publisher.publish("sid/a", "x")
    assert subscriber.expect(PUBLISH).props[mqtt_raw.SUBSCRIPTION_ID] == [42]


def test_no_local(paho):
    client = paho("nolocal", protocol=mqtt.MQTTv5)
    client.subscribe("nl/t", options=SubscribeOptions(qos=1, noLocal=True))
    client.subscribe("nl/marker", options=SubscribeOptions(qos=1))
    client.publish("nl/t", b"own", 1)
    paho("other", protocol=mqtt.MQTTv5).publish("nl/t", b"theirs", 1)
    assert client.expect().payload == b"theirs"


def test_properties_are_carried_end_to_end(paho):
    subscriber = paho("props-sub", protocol=mqtt.MQTTv5)
    subscriber.subscribe("props/t", 1)
    publisher = paho("props-pub", protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = [("a", "1"), ("b", "2")]
    props.ContentType = "application/json"
    props.ResponseTopic = "reply/to"
    props.CorrelationData = b"\x00\x01"
    props.PayloadFormatIndicator = 1
    props.MessageExpiryInterval = 60
    publisher.publish("props/t", b"{}", 1, properties=props)
    received = subscriber.expect().properties
    assert received.UserProperty == [("a", "1"), ("b", "2")]
    assert received.ContentType == "application/json"
    assert received.ResponseTopic == "reply/to"
    assert received.CorrelationData == b"\x00\x01"
    assert received.PayloadFormatIndicator == 1
    assert 0 < received.MessageExpiryInterval <= 60


def test_expired_messages_are_not_delivered_from_the_queue(raw):
    import time
    subscriber = raw(V5)
    subscriber.connect("exp-q", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 60)])
    subscriber.subscribe("expq", 1)
    subscriber.send(mqtt_raw.disconnect(version=V5))
    subscriber.wait_closed()
    publisher = raw(V5)
    publisher.connect("exp-pub")
    publisher.publish("expq", "old", qos=1, packet_id=1, props=[(mqtt_raw.MESSAGE_EXPIRY, 1)])
    publisher.publish("expq", "fresh", qos=1, packet_id=2)
    time.sleep(2.5)
    subscriber = raw(V5)
    subscriber.connect("exp-q", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 60)])
    assert subscriber.expect(PUBLISH).payload == b"fresh"


@pytest.mark.gatemq_only  # Mosquitto disconnects on an invalid filter instead
def test_no_reason_string_on_acks_when_problem_information_is_not_requested(raw):
    client = raw(V5)
    client.connect("quiet", props=[(mqtt_raw.REQUEST_PROBLEM_INFO, 0)])
    suback = client.subscribe("a/#/b", 1)  # invalid filter
    assert suback.codes[0] >= 0x80
    assert mqtt_raw.REASON_STRING not in suback.props


def test_puback_says_no_matching_subscribers(raw):
    publisher = raw(V5)
    publisher.connect("lonely")
    publisher.publish("nobody/listens", "x", qos=1, packet_id=5)
    puback = publisher.expect(PUBACK)
    assert puback.packet_id == 5 and puback.reason == 0x10


def test_request_response_pattern(paho):
    responder = paho("responder", protocol=mqtt.MQTTv5)
    responder.subscribe("service/req", 1)
    requester = paho("requester", protocol=mqtt.MQTTv5)
    requester.subscribe("service/resp/requester", 1)
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = "service/resp/requester"
    props.CorrelationData = b"42"
    requester.publish("service/req", b"ping", 1, properties=props)
    request = responder.expect()
    reply = Properties(PacketTypes.PUBLISH)
    reply.CorrelationData = request.properties.CorrelationData
    responder.publish(request.properties.ResponseTopic, b"pong", 1, properties=reply)
    response = requester.expect()
    assert response.payload == b"pong" and response.properties.CorrelationData == b"42"
