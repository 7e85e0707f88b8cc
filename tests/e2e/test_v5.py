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


class AliasResolver:
    """The client side of broker->client topic aliases (MQTT 5 3.3.2.3.4)."""

    def __init__(self, maximum):
        self.maximum = maximum
        self.aliases = {}

    def topic(self, packet):
        alias = packet.props.get(mqtt_raw.TOPIC_ALIAS)
        if alias is None:
            assert packet.topic, "PUBLISH with neither topic nor alias"
            return packet.topic
        assert 1 <= alias <= self.maximum, f"alias {alias} beyond our maximum {self.maximum}"
        if packet.topic:
            self.aliases[alias] = packet.topic
            return packet.topic
        assert alias in self.aliases, f"alias {alias} used before it was defined"
        return self.aliases[alias]


@pytest.mark.parametrize("maximum", [1, 5])
def test_topic_alias_to_the_client_resolves_to_the_right_topics(raw, maximum):
    # The broker MAY use aliases when the client allows them: whatever it does, every message
    # must resolve to its own topic and no alias may exceed the client's maximum.
    subscriber = raw(V5)
    subscriber.connect("alias-down", props=[(mqtt_raw.TOPIC_ALIAS_MAXIMUM, maximum)])
    subscriber.subscribe("down/#", 0)
    publisher = raw(V5)
    publisher.connect("alias-down-pub")
    topics = ["down/a", "down/b", "down/a", "down/c", "down/b", "down/a", "down/a"]
    for i, topic in enumerate(topics):
        publisher.publish(topic, str(i))
    resolver = AliasResolver(maximum)
    received = []
    for _ in topics:
        packet = subscriber.expect(PUBLISH)
        received.append((resolver.topic(packet), packet.payload.decode()))
    assert received == [(t, str(i)) for i, t in enumerate(topics)]


def test_no_topic_alias_to_a_client_that_allows_none(raw):
    subscriber = raw(V5)
    subscriber.connect("alias-none")  # no Topic Alias Maximum: 0
    subscriber.subscribe("none/t", 0)
    publisher = raw(V5)
    publisher.connect("alias-none-pub")
    for i in range(3):
        publisher.publish("none/t", str(i))
    for _ in range(3):
        packet = subscriber.expect(PUBLISH)
        assert packet.topic == "none/t" and mqtt_raw.TOPIC_ALIAS not in packet.props


def test_topic_alias_zero_is_refused(raw):
    publisher = raw(V5)
    publisher.connect("alias-zero")
    publisher.publish("t", "x", props=[(mqtt_raw.TOPIC_ALIAS, 0)])
    packets = publisher.wait_closed()
    # 0 is never a valid alias: 0x94 (Topic Alias invalid); 0x82 or 0x81 are defensible too.
    assert packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason in (0x94, 0x82, 0x81)


def test_topic_alias_can_be_remapped(raw):
    subscriber = raw(V5)
    subscriber.connect("remap-sub")
    subscriber.subscribe("remap/#", 0)
    publisher = raw(V5)
    publisher.connect("remap-pub")
    publisher.publish("remap/one", "1", props=[(mqtt_raw.TOPIC_ALIAS, 1)])
    publisher.publish("remap/two", "2", props=[(mqtt_raw.TOPIC_ALIAS, 1)])
    publisher.publish("", "3", props=[(mqtt_raw.TOPIC_ALIAS, 1)])
    got = [subscriber.expect(PUBLISH) for _ in range(3)]
    assert [(p.topic, p.payload) for p in got] == [
        ("remap/one", b"1"), ("remap/two", b"2"), ("remap/two", b"3")]


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


def test_receive_maximum_applies_to_qos2_too(raw):
    subscriber = raw(V5)
    subscriber.connect("rm2", props=[(mqtt_raw.RECEIVE_MAXIMUM, 1)])
    subscriber.subscribe("rm2/t", 2)
    publisher = raw(V5)
    publisher.connect("rm2-pub")
    for i in range(3):  # complete flows: a broker may route QoS 2 on PUBLISH or on PUBREL
        publisher.publish("rm2/t", str(i), qos=2, packet_id=i + 1)
        publisher.expect(mqtt_raw.PUBREC)
        publisher.send(mqtt_raw.ack(mqtt_raw.PUBREL, i + 1, version=V5))
        publisher.expect(mqtt_raw.PUBCOMP)
    first = subscriber.expect(PUBLISH)
    assert first.payload == b"0"
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=1)
    subscriber.send(mqtt_raw.ack(mqtt_raw.PUBREC, first.packet_id, version=V5))
    assert subscriber.expect(mqtt_raw.PUBREL).packet_id == first.packet_id
    # Still in flight until PUBCOMP.
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=1)
    subscriber.send(mqtt_raw.ack(mqtt_raw.PUBCOMP, first.packet_id, version=V5))
    assert subscriber.expect(PUBLISH).payload == b"1"


def test_client_maximum_packet_size_is_respected(raw):
    subscriber = raw(V5)
    subscriber.connect("small-client", props=[(mqtt_raw.MAXIMUM_PACKET_SIZE, 100)])
    subscriber.subscribe("mps", 0)
    publisher = raw(V5)
    publisher.connect("mps-pub")
    publisher.publish("mps", "x" * 200)
    publisher.publish("mps", "fits")
    assert subscriber.expect(PUBLISH).payload == b"fits"


@pytest.mark.broker_config({"mqtt.max_packet_size": "1KB"})
def test_v5_packet_over_max_packet_size_gets_0x95(raw):
    client = raw(V5)
    connack = client.connect("big")
    limit = connack.props.get(mqtt_raw.MAXIMUM_PACKET_SIZE)
    assert limit is None or limit == 1024
    client.publish("t", "x" * 2000, qos=1, packet_id=1)
    packets = client.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT, packets
    assert packets[-1].reason == 0x95
    # The broker keeps serving.
    assert raw(V5).connect("after-big").reason == 0


@pytest.mark.broker_config({"mqtt.max_packet_size": "1KB"})
def test_v311_packet_over_max_packet_size_closes(raw):
    client = raw(mqtt_raw.V311)
    client.connect("big3")
    client.publish("t", "x" * 2000, qos=1, packet_id=1)
    assert client.wait_closed() == []


@pytest.mark.parametrize("receive_maximum", [
    # Mosquitto 2.0.11 keeps the dropped message in flight: with a window of 1 nothing follows.
    pytest.param(1, marks=pytest.mark.gatemq_only), 10])
@pytest.mark.parametrize("qos", [1, 2])
def test_oversized_message_does_not_use_up_the_receive_window(raw, qos, receive_maximum):
    # The message the client cannot take is dropped, not left in flight: with Receive Maximum 1
    # a leaked slot would block everything after it.
    subscriber = raw(V5)
    subscriber.connect("mps-window", props=[(mqtt_raw.MAXIMUM_PACKET_SIZE, 100),
                                            (mqtt_raw.RECEIVE_MAXIMUM, receive_maximum)])
    subscriber.subscribe("mpsw", qos)
    publisher = raw(V5)
    publisher.connect("mpsw-pub")

    def publish(payload, packet_id):
        publisher.publish("mpsw", payload, qos=qos, packet_id=packet_id)
        if qos == 1:
            publisher.expect(PUBACK)
        else:
            publisher.expect(mqtt_raw.PUBREC)
            publisher.send(mqtt_raw.ack(mqtt_raw.PUBREL, packet_id, version=V5))
            publisher.expect(mqtt_raw.PUBCOMP)

    publish("x" * 200, 1)
    for i in range(3):
        publish(f"small{i}", i + 2)
    received = []
    while len(received) < 3:
        packet = subscriber.recv()
        if packet.type == PUBLISH:
            received.append(packet.payload)
            assert packet.qos == qos
            kind = PUBACK if qos == 1 else mqtt_raw.PUBREC
            subscriber.send(mqtt_raw.ack(kind, packet.packet_id, version=V5))
        elif packet.type == mqtt_raw.PUBREL:
            subscriber.send(mqtt_raw.ack(mqtt_raw.PUBCOMP, packet.packet_id, version=V5))
    assert received == [b"small0", b"small1", b"small2"]


def test_oversized_retained_message_is_not_sent_on_subscribe(raw):
    publisher = raw(V5)
    publisher.connect("mpsr-pub")
    publisher.publish("mpsr/big", "x" * 300, qos=1, packet_id=1, retain=True)
    publisher.expect(PUBACK)
    publisher.publish("mpsr/small", "ok", qos=1, packet_id=2, retain=True)
    publisher.expect(PUBACK)
    subscriber = raw(V5)
    subscriber.connect("mpsr", props=[(mqtt_raw.MAXIMUM_PACKET_SIZE, 100)])
    subscriber.subscribe("mpsr/#", 0)
    message = subscriber.expect(PUBLISH)
    assert message.topic == "mpsr/small"
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=0.5)


def test_subscription_identifiers_are_delivered(raw):
    subscriber = raw(V5)
    subscriber.connect("subid")
    subscriber.subscribe("sid/+", 0, props=[(mqtt_raw.SUBSCRIPTION_ID, 42)])
    publisher = raw(V5)
    publisher.connect("subid-pub")
    publisher.publish("sid/a", "x")
    assert subscriber.expect(PUBLISH).props[mqtt_raw.SUBSCRIPTION_ID] == [42]


def test_overlapping_subscriptions_carry_every_identifier(raw):
    subscriber = raw(V5)
    subscriber.connect("subids")
    subscriber.subscribe("ov/+", 0, props=[(mqtt_raw.SUBSCRIPTION_ID, 1)])
    subscriber.subscribe("ov/#", 0, packet_id=2, props=[(mqtt_raw.SUBSCRIPTION_ID, 2)])
    subscriber.subscribe("ov/x", 0, packet_id=3)
    publisher = raw(V5)
    publisher.connect("subids-pub")
    publisher.publish("ov/x", "x")
    publisher.publish("ov/y", "marker")
    ids = []
    while True:
        packet = subscriber.expect(PUBLISH)
        if packet.payload == b"marker":
            break
        ids.extend(packet.props.get(mqtt_raw.SUBSCRIPTION_ID, []))
    # One message carrying [1, 2] or one copy per subscription: either way both ids, once each.
    assert sorted(ids) == [1, 2]


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


def test_no_reason_strings_when_problem_information_is_not_requested(raw):
    # MQTT 5 3.1.2.11.7: with Request Problem Information 0 the server may send a Reason String
    # only on CONNACK and DISCONNECT.
    client = raw(V5)
    client.connect("quiet-acks", props=[(mqtt_raw.REQUEST_PROBLEM_INFO, 0)])
    client.publish("nobody/here", "x", qos=1, packet_id=3)
    puback = client.expect(PUBACK)
    assert mqtt_raw.REASON_STRING not in puback.props
    client.send(mqtt_raw.unsubscribe(4, ["never/subscribed"], version=V5))
    unsuback = client.expect(mqtt_raw.UNSUBACK)
    assert mqtt_raw.REASON_STRING not in unsuback.props
    client.publish("nobody/here", "y", qos=2, packet_id=5)
    pubrec = client.expect(mqtt_raw.PUBREC)
    assert mqtt_raw.REASON_STRING not in pubrec.props
    client.send(mqtt_raw.ack(mqtt_raw.PUBREL, 5, version=V5))
    pubcomp = client.expect(mqtt_raw.PUBCOMP)
    assert mqtt_raw.REASON_STRING not in pubcomp.props


def test_unsuback_reason_codes(raw):
    client = raw(V5)
    client.connect("unsub-codes")
    client.subscribe("u/a", 1)
    client.send(mqtt_raw.unsubscribe(2, ["u/a", "u/never"], version=V5))
    unsuback = client.expect(mqtt_raw.UNSUBACK)
    assert unsuback.packet_id == 2
    assert unsuback.codes == [0x00, 0x11]


def test_message_expiry_counts_down_while_queued(raw):
    import time
    subscriber = raw(V5)
    subscriber.connect("exp-count", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 60)])
    subscriber.subscribe("expc", 1)
    subscriber.send(mqtt_raw.disconnect(version=V5))
    subscriber.wait_closed()
    publisher = raw(V5)
    publisher.connect("expc-pub")
    publisher.publish("expc", "waiting", qos=1, packet_id=1, props=[(mqtt_raw.MESSAGE_EXPIRY, 30)])
    publisher.expect(PUBACK)
    time.sleep(2.2)
    subscriber = raw(V5)
    subscriber.connect("exp-count", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 60)])
    message = subscriber.expect(PUBLISH)
    assert message.payload == b"waiting"
    assert 1 <= message.props[mqtt_raw.MESSAGE_EXPIRY] <= 28


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


@pytest.mark.gatemq_only  # Mosquitto 2.0.11 forwards it
@pytest.mark.parametrize("response_topic", ["service/resp/+", "service/#", "+"])
def test_response_topic_with_a_wildcard_is_a_protocol_error(raw, response_topic):
    # MQTT 5 3.3.2.3.5 [MQTT-3.3.2-14]: no wildcards in a Response Topic (EMQX: DISCONNECT 0x82).
    responder = raw(V5)
    responder.connect("responder")
    responder.subscribe("service/req", 1)
    requester = raw(V5)
    requester.connect("requester")
    requester.publish("service/req", "ping", qos=1,
                      props=[(mqtt_raw.RESPONSE_TOPIC, response_topic)])
    packets = requester.wait_closed()
    assert [(p.type, p.reason) for p in packets] == [(mqtt_raw.DISCONNECT, 0x82)]
    marker = raw(V5)
    marker.connect("marker")
    marker.publish("service/req", "marker")
    assert responder.expect(PUBLISH).payload == b"marker", "the request was not delivered"


@pytest.mark.gatemq_only  # Mosquitto 2.0.11 answers 0x90
def test_empty_topic_without_alias_is_a_protocol_error(raw):
    # MQTT 5 3.3.2.1 calls it a Protocol Error (0x82), not Topic Name invalid (0x90).
    publisher = raw(V5)
    publisher.connect("empty-topic")
    publisher.publish("", "x")
    packets = publisher.wait_closed()
    assert [(p.type, p.reason) for p in packets] == [(mqtt_raw.DISCONNECT, 0x82)]


def test_disconnect_with_session_expiry_zero_ends_the_session(raw):
    client = raw(V5)
    client.connect("end-now", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 300)])
    client.subscribe("endnow/t", 1)
    client.send(mqtt_raw.disconnect(reason=0, version=V5, props=[(mqtt_raw.SESSION_EXPIRY, 0)]))
    client.wait_closed()
    client = raw(V5)
    assert not client.connect("end-now", clean=False,
                              props=[(mqtt_raw.SESSION_EXPIRY, 300)]).session_present


def test_disconnect_can_extend_a_nonzero_session_expiry(raw):
    client = raw(V5)
    client.connect("extend", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 1)])
    client.subscribe("extend/t", 1)
    client.send(mqtt_raw.disconnect(reason=0, version=V5, props=[(mqtt_raw.SESSION_EXPIRY, 300)]))
    client.wait_closed()
    import time
    time.sleep(2.5)
    client = raw(V5)
    assert client.connect("extend", clean=False,
                          props=[(mqtt_raw.SESSION_EXPIRY, 300)]).session_present


def test_disconnect_setting_expiry_after_zero_is_a_protocol_error(raw):
    # MQTT 5 3.14.2.2.2: CONNECT said 0, so a non-zero value in DISCONNECT is a Protocol Error.
    client = raw(V5)
    client.connect("zero-then-more", clean=False)
    client.subscribe("ztm/t", 1)
    client.send(mqtt_raw.disconnect(reason=0, version=V5, props=[(mqtt_raw.SESSION_EXPIRY, 300)]))
    packets = client.wait_closed()
    if packets:
        assert packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x82
    client = raw(V5)
    assert not client.connect("zero-then-more", clean=False,
                              props=[(mqtt_raw.SESSION_EXPIRY, 300)]).session_present


def test_shared_subscriptions_match_what_connack_advertises(raw):
    first = raw(V5)
    connack = first.connect("share-1")
    suback = first.subscribe("$share/g/sh/t", 1)
    if connack.props.get(0x2A) == 0:  # Shared Subscription Available: no
        assert suback.codes == [0x9E]
        return
    assert suback.codes == [1]
    second = raw(V5)
    second.connect("share-2")
    assert second.subscribe("$share/g/sh/t", 1).codes == [1]
    publisher = raw(V5)
    publisher.connect("share-pub")
    for i in range(10):
        publisher.publish("sh/t", str(i), qos=1, packet_id=i + 1)
    received = []
    for client in (first, second):
        while True:
            try:
                packet = client.recv(timeout=1)
            except TimeoutError:
                break
            received.append(int(packet.payload))
            client.send(mqtt_raw.ack(PUBACK, packet.packet_id, version=V5))
    assert sorted(received) == list(range(10))  # each message to exactly one group member


def test_v311_subscriber_receives_v5_messages_without_properties(raw):
    subscriber = raw(mqtt_raw.V311)
    subscriber.connect("old-sub")
    subscriber.subscribe("mix/t", 1)
    publisher = raw(V5)
    publisher.connect("new-pub")
    publisher.publish("mix/t", "with-props", qos=1, packet_id=1,
                      props=[(mqtt_raw.USER_PROPERTY, ("k", "v")), (mqtt_raw.CONTENT_TYPE, "a/b")])
    message = subscriber.expect(PUBLISH)
    assert (message.topic, message.payload, message.qos) == ("mix/t", b"with-props", 1)


def test_empty_payload_is_delivered(raw):
    subscriber = raw(V5)
    subscriber.connect("empty-sub")
    subscriber.subscribe("empty/t", 1)
    publisher = raw(V5)
    publisher.connect("empty-pub")
    publisher.publish("empty/t", "", qos=1, packet_id=1)
    assert subscriber.expect(PUBLISH).payload == b""


def test_assigned_client_identifier_session_can_be_resumed(raw):
    client = raw(V5)
    connack = client.connect("", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 300)])
    assigned = connack.props[mqtt_raw.ASSIGNED_CLIENT_ID]
    client.subscribe("assigned/t", 1)
    client.send(mqtt_raw.disconnect(version=V5))
    client.wait_closed()
    client = raw(V5)
    again = client.connect(assigned, clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 300)])
    assert again.session_present
    assert mqtt_raw.ASSIGNED_CLIENT_ID not in again.props


def test_user_properties_keep_order_and_duplicates(raw):
    subscriber = raw(V5)
    subscriber.connect("up-sub")
    subscriber.subscribe("up/t", 0)
    publisher = raw(V5)
    publisher.connect("up-pub")
    pairs = [("k", "1"), ("a", "x"), ("k", "2"), ("k", "1"), ("ü", "ß")]
    publisher.publish("up/t", "x", props=[(mqtt_raw.USER_PROPERTY, p) for p in pairs])
    assert subscriber.expect(PUBLISH).props[mqtt_raw.USER_PROPERTY] == pairs


def test_will_message_expiry_and_properties_with_paho(paho):
    watcher = paho("will-watch5", protocol=mqtt.MQTTv5)
    watcher.subscribe("will5/t", 1)
    will_props = Properties(PacketTypes.WILLMESSAGE)
    will_props.ContentType = "text/x-will"
    will_props.MessageExpiryInterval = 100
    will_props.UserProperty = [("reason", "crash")]
    dying = paho("will-dies5", protocol=mqtt.MQTTv5,
                 will={"topic": "will5/t", "payload": b"bye", "qos": 1,
                       "properties": will_props})
    dying.drop()
    message = watcher.expect()
    assert message.payload == b"bye"
    assert message.properties.ContentType == "text/x-will"
    assert message.properties.UserProperty == [("reason", "crash")]
    assert 0 < message.properties.MessageExpiryInterval <= 100


def test_topic_aliases_do_not_survive_a_reconnect(raw):
    # MQTT 5 3.3.2.3.4: alias mappings last for one network connection.
    props = [(mqtt_raw.SESSION_EXPIRY, 300)]
    publisher = raw(V5)
    publisher.connect("alias-life", clean=False, props=props)
    publisher.publish("alias/life", "1", props=[(mqtt_raw.TOPIC_ALIAS, 4)])
    publisher.send(mqtt_raw.disconnect(version=V5))
    publisher.wait_closed()
    publisher = raw(V5)
    publisher.connect("alias-life", clean=False, props=props)
    publisher.publish("", "2", props=[(mqtt_raw.TOPIC_ALIAS, 4)])
    packets = publisher.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x82


@pytest.mark.gatemq_only  # Mosquitto 2.0.11 resends all 4 too: [MQTT-3.3.4-9] says at most 2
def test_redelivery_after_reconnect_respects_the_new_receive_maximum(raw):
    props = [(mqtt_raw.SESSION_EXPIRY, 300)]
    subscriber = raw(V5)
    subscriber.connect("rm-again", clean=False, props=props + [(mqtt_raw.RECEIVE_MAXIMUM, 10)])
    subscriber.subscribe("rma/t", 1)
    publisher = raw(V5)
    publisher.connect("rma-pub")
    for i in range(4):
        publisher.publish("rma/t", str(i), qos=1, packet_id=i + 1)
        publisher.expect(PUBACK)
    assert [subscriber.expect(PUBLISH).payload for _ in range(4)] == [b"0", b"1", b"2", b"3"]
    subscriber.close()  # nothing acknowledged

    subscriber = raw(V5)
    subscriber.connect("rm-again", clean=False, props=props + [(mqtt_raw.RECEIVE_MAXIMUM, 2)])
    first, second = subscriber.expect(PUBLISH), subscriber.expect(PUBLISH)
    assert [first.payload, second.payload] == [b"0", b"1"] and first.dup and second.dup
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=1)  # 2 unacknowledged: the window is full
    subscriber.send(mqtt_raw.ack(PUBACK, first.packet_id, version=V5))
    assert subscriber.expect(PUBLISH).payload == b"2"


@pytest.mark.gatemq_only  # Mosquitto 2.0.11 measures differently (it still takes 1025 bytes)
@pytest.mark.broker_config({"mqtt.max_packet_size": "1KB"})
@pytest.mark.parametrize("version", [mqtt_raw.V311, V5])
def test_max_packet_size_boundary(raw, version):
    # The limit counts the whole packet (fixed header included), as MQTT 5 3.1.2.11.4 does.
    def publish_of_size(total, packet_id):
        base = mqtt_raw.publish("b/t", b"", qos=1, packet_id=packet_id, version=version)
        payload = b"p" * (total - len(base) - 1)  # the remaining length grows to 2 bytes
        data = mqtt_raw.publish("b/t", payload, qos=1, packet_id=packet_id, version=version)
        assert len(data) == total
        return data

    client = raw(version)
    client.connect("boundary")
    client.send(publish_of_size(1024, 1))
    assert client.expect(PUBACK).packet_id == 1
    client.send(publish_of_size(1025, 2))
    packets = client.wait_closed()
    assert all(p.type == mqtt_raw.DISCONNECT and p.reason == 0x95 for p in packets), packets


def test_will_with_delay_is_not_published_on_takeover(raw):
    watcher = raw(V5)
    watcher.connect("wt-watcher")
    watcher.subscribe("wt/will", 0)
    props = [(mqtt_raw.SESSION_EXPIRY, 300)]
    old = raw(V5)
    old.connect("wt", clean=False, props=props,
                will={"topic": "wt/will", "payload": "no", "props": [(mqtt_raw.WILL_DELAY, 3)]})
    new = raw(V5)
    assert new.connect("wt", clean=False, props=props).session_present
    old.wait_closed()
    import time
    time.sleep(4)
    marker = raw(V5)
    marker.connect("wt-marker")
    marker.publish("wt/will", "marker")
    assert watcher.expect(PUBLISH).payload == b"marker"


def test_long_client_id_and_topic(raw):
    client_id = "c" * 1000
    topic = "/".join(["l" * 300] * 100)  # 30 KB in 100 levels (Mosquitto allows 200)
    subscriber = raw(V5)
    assert subscriber.connect(client_id).reason == 0
    subscriber.subscribe(topic, 1)
    publisher = raw(mqtt_raw.V311)
    publisher.connect("long-pub")
    publisher.publish(topic, "long", qos=1, packet_id=1)
    message = subscriber.expect(PUBLISH)
    assert message.topic == topic and message.payload == b"long"


@pytest.mark.parametrize("version", [mqtt_raw.V311, V5])
def test_many_filters_in_one_subscribe(raw, version):
    client = raw(version)
    client.connect("multi")
    filters = [(f"multi/{i}", i % 3) for i in range(10)]
    client.send(mqtt_raw.subscribe(1, filters, version=version))
    suback = client.expect(mqtt_raw.SUBACK)
    assert suback.codes == [i % 3 for i in range(10)]
    client.send(mqtt_raw.unsubscribe(2, [f"multi/{i}" for i in range(10)] + ["never"],
                                     version=version))
    unsuback = client.expect(mqtt_raw.UNSUBACK)
    assert unsuback.packet_id == 2
    if version == V5:
        assert unsuback.codes == [0] * 10 + [0x11]


@pytest.mark.gatemq_only  # Mosquitto 2.0.11 ignores the new Receive Maximum on resume
@pytest.mark.parametrize("qos", [1, 2])
def test_resume_with_a_smaller_window_delivers_everything_in_order(raw, qos):
    props = [(mqtt_raw.SESSION_EXPIRY, 300)]
    watcher = raw(V5)  # sees the will: the broker has taken the subscriber's close in
    watcher.connect("ro-watcher")
    watcher.subscribe("ro/gone", 0)
    subscriber = raw(V5)
    subscriber.connect("resume-order", clean=False,
                       props=props + [(mqtt_raw.RECEIVE_MAXIMUM, 10)],
                       will={"topic": "ro/gone", "payload": "gone"})
    subscriber.subscribe("ro/t", qos)
    publisher = raw(V5)
    publisher.connect("ro-pub")

    def publish(i):
        publisher.publish("ro/t", str(i), qos=qos, packet_id=i + 1)
        if qos == 1:
            publisher.expect(PUBACK)
        else:
            publisher.expect(mqtt_raw.PUBREC)
            publisher.send(mqtt_raw.ack(mqtt_raw.PUBREL, i + 1, version=V5))
            publisher.expect(mqtt_raw.PUBCOMP)

    for i in range(5):
        publish(i)
    first_ids = {}
    for _ in range(5):
        packet = subscriber.expect(PUBLISH)
        first_ids[packet.payload] = packet.packet_id
    subscriber.close()  # nothing acknowledged
    assert watcher.expect(PUBLISH).payload == b"gone"
    publish(5)  # queued while away: never sent before, so no DUP
    publish(6)

    subscriber = raw(V5)
    subscriber.connect("resume-order", clean=False, props=props + [(mqtt_raw.RECEIVE_MAXIMUM, 2)])
    outstanding, got = [], []  # unacknowledged packet ids, oldest first
    received = set()  # QoS 2 packet ids answered with PUBREC
    while len(got) < 7 or outstanding:
        packet = subscriber.recv()
        if packet.type == PUBLISH:
            got.append((int(packet.payload), packet.dup, packet.qos))
            if packet.payload in first_ids:
                assert packet.packet_id == first_ids[packet.payload]
            outstanding.append(packet.packet_id)
            assert len(outstanding) <= 2, f"{len(outstanding)} unacknowledged with a window of 2"
        elif packet.type == mqtt_raw.PUBREL:
            subscriber.send(mqtt_raw.ack(mqtt_raw.PUBCOMP, packet.packet_id, version=V5))
            outstanding.remove(packet.packet_id)
            continue
        # Acknowledge the oldest only once the window is full; everything once all have come.
        if len(outstanding) == 2 or len(got) == 7:
            for pid in (list(outstanding) if len(got) == 7 else outstanding[:1]):
                if qos == 1:
                    subscriber.send(mqtt_raw.ack(PUBACK, pid, version=V5))
                    outstanding.remove(pid)
                elif pid not in received:
                    subscriber.send(mqtt_raw.ack(mqtt_raw.PUBREC, pid, version=V5))
                    received.add(pid)  # in flight until PUBREL/PUBCOMP
    assert [n for n, _, _ in got] == list(range(7)), got
    assert [d for _, d, _ in got] == [True] * 5 + [False] * 2, got
    assert {q for _, _, q in got} == {qos}
