"""Self-test of the MQTT-SN test client and codec: every message round-trips, the spec's hex
vectors decode, bad datagrams are refused, and every Client call works against a fake gateway.
No broker needed."""
import socket
import threading

from mqttsn_codec import *  # noqa: F401,F403
from mqttsn_client import Client


# ---- self-test ----------------------------------------------------------------------------------

def _samples():
    return [
        Message("ADVERTISE", gw_id=7, duration=900),
        Message("SEARCHGW", radius=3),
        Message("GWINFO", gw_id=9),
        Message("GWINFO", gw_id=9, gw_addr=b"\x0a\x00\x00\x01\x07\x5b"),
        Message("CONNECT", flags=Flags(will=True, clean_session=True), duration=30, client_id="s-42"),
        Message("CONNACK", return_code=CONGESTION),
        Message("WILLTOPICREQ"),
        Message("WILLTOPIC", flags=Flags(qos=1, retain=True), will_topic="status/s-42"),
        Message("WILLTOPIC"),
        Message("WILLMSGREQ"),
        Message("WILLMSG", will_message=b"gone"),
        Message("REGISTER", topic_id=0, msg_id=0x1234, topic_name="home/temperature"),
        Message("REGACK", topic_id=1, msg_id=0x1234, return_code=ACCEPTED),
        Message("PUBLISH", flags=Flags(dup=True, qos=2, retain=True, topic_id_type=TOPIC_PREDEFINED),
                topic_id=5, msg_id=0xBEEF, data=b"21.5"),
        Message("PUBLISH", flags=Flags(qos=-1, topic_id_type=TOPIC_SHORT_NAME),
                topic_id=short_name_to_topic_id("ab"), data=b"x"),
        Message("PUBACK", topic_id=5, msg_id=0xBEEF, return_code=INVALID_TOPIC_ID),
        Message("PUBCOMP", msg_id=1),
        Message("PUBREC", msg_id=2),
        Message("PUBREL", msg_id=3),
        Message("SUBSCRIBE", flags=Flags(qos=1), msg_id=0x42, topic_name="home/+/t"),
        Message("SUBSCRIBE", flags=Flags(qos=2, topic_id_type=TOPIC_PREDEFINED), msg_id=0x43,
                topic_id=0x0101),
        Message("SUBSCRIBE", flags=Flags(topic_id_type=TOPIC_SHORT_NAME), msg_id=0x44,
                topic_id=short_name_to_topic_id("zz")),
        Message("SUBACK", flags=Flags(qos=1), topic_id=9, msg_id=0x42, return_code=ACCEPTED),
        Message("UNSUBSCRIBE", flags=Flags(), msg_id=0x45, topic_name="home/#"),
        Message("UNSUBSCRIBE", flags=Flags(topic_id_type=TOPIC_PREDEFINED), msg_id=0x46, topic_id=3),
        Message("UNSUBACK", msg_id=0x45),
        Message("PINGREQ"),
        Message("PINGREQ", client_id="sleepy"),
        Message("PINGRESP"),
        Message("DISCONNECT"),
        Message("DISCONNECT", duration=600),
        Message("WILLTOPICUPD", flags=Flags(qos=2), will_topic="status/new"),
        Message("WILLTOPICUPD"),
        Message("WILLTOPICRESP", return_code=NOT_SUPPORTED),
        Message("WILLMSGUPD", will_message=b"bye"),
        Message("WILLMSGRESP", return_code=ACCEPTED),
        Message("ENCAPSULATED", ctrl=1, node_id=b"\xaa\xbb", message=b"\x02\x16"),
    ]


def _expect_error(kind, datagram):
    try:
        Codec.decode(datagram)
    except DecodeError as error:
        assert error.kind == kind, (error.kind, kind, datagram.hex())
        return
    raise AssertionError(f"{datagram.hex()} decoded, expected {kind}")


def _fake_gateway(sock):
    """Answers like a gateway would, just enough to drive every Client method once."""
    while True:
        try:
            data, peer = sock.recvfrom(65536)
        except OSError:
            return
        m = Codec.decode(data)
        replies = []
        if m.type == "CONNECT":
            replies = [Message("WILLTOPICREQ")] if m.flags.will else [Message("CONNACK")]
        elif m.type == "WILLTOPIC":
            replies = [Message("WILLMSGREQ")]
        elif m.type == "WILLMSG":
            replies = [Message("CONNACK")]
        elif m.type == "REGISTER":
            replies = [Message("REGACK", topic_id=77, msg_id=m.msg_id)]
        elif m.type == "PUBLISH" and m.flags.qos == 1:
            replies = [Message("PUBACK", topic_id=m.topic_id, msg_id=m.msg_id)]
        elif m.type == "PUBLISH" and m.flags.qos == 2:
            replies = [Message("PUBREC", msg_id=m.msg_id)]
        elif m.type == "PUBREL":
            replies = [Message("PUBCOMP", msg_id=m.msg_id)]
        elif m.type == "SUBSCRIBE":
            replies = [Message("SUBACK", flags=Flags(qos=m.flags.qos), topic_id=5, msg_id=m.msg_id),
                       Message("PUBLISH", flags=Flags(qos=1), topic_id=5, msg_id=900, data=b"r")]
        elif m.type == "PUBACK":
            replies = []
        elif m.type == "UNSUBSCRIBE":
            replies = [Message("UNSUBACK", msg_id=m.msg_id)]
        elif m.type == "PINGREQ":
            replies = [Message("REGISTER", topic_id=6, msg_id=901, topic_name="a/b"),
                       Message("PINGRESP")]
        elif m.type == "SEARCHGW":
            replies = [Message("GWINFO", gw_id=1)]
        elif m.type == "WILLTOPICUPD":
            replies = [Message("WILLTOPICRESP")]
        elif m.type == "WILLMSGUPD":
            replies = [Message("WILLMSGRESP")]
        elif m.type == "DISCONNECT":
            replies = [Message("DISCONNECT")]
        for reply in replies:
            sock.sendto(Codec.encode(reply), peer)


def _self_test():
    # Every message round-trips, in both length forms.
    for sample in _samples():
        wire = Codec.encode(sample)
        assert Codec.decode(wire) == sample, (sample, wire.hex())
        assert Codec.encode(Codec.decode(wire)) == wire
        long_wire = Codec.encode(sample, long_form=True)
        assert long_wire[0] == 0x01 and Codec.decode(long_wire) == sample, sample
    assert {s.type for s in _samples()} == set(FIELDS)

    # Spec layouts.
    connect = Message("CONNECT", flags=Flags(clean_session=True), duration=30, client_id="abc")
    assert Codec.encode(connect) == bytes.fromhex("090404 01001e 616263".replace(" ", ""))
    assert Codec.encode(Message("PUBLISH", flags=Flags(qos=-1, topic_id_type=TOPIC_SHORT_NAME),
                                topic_id=short_name_to_topic_id("ab"))) == bytes.fromhex("070c6261620000")
    big = Codec.encode(Message("PUBLISH", topic_id=1, data=bytes(291)))
    assert len(big) == 300 and big[:4] == bytes([0x01, 0x01, 0x2C, 0x0C])
    assert len(Codec.encode(Message("PUBLISH", topic_id=1, data=bytes(248)))) == 255
    assert Codec.encode(Message("PUBLISH", topic_id=1, data=bytes(249)))[0] == 0x01

    for byte in range(256):
        assert Flags.from_byte(byte).to_byte() == byte

    # Rejections.
    _expect_error("too_short", b"")
    _expect_error("too_short", b"\x01\x00\x04")
    _expect_error("bad_length", b"\x03\x17")
    _expect_error("bad_length", b"\x02\x17\x00")
    _expect_error("bad_length", b"\x00\x17")
    _expect_error("bad_length", b"\x01\x00\x03\x17")
    _expect_error("unknown_type", b"\x02\x03")
    _expect_error("unknown_type", b"\x02\xff")
    _expect_error("malformed", bytes.fromhex("090404 02001e 616263".replace(" ", "")))
    _expect_error("malformed", b"\x03\x18\x00")
    _expect_error("malformed", b"\x02\x02")
    _expect_error("malformed", b"\x07\x12\x23\x00\x01\x00\x01")
    _expect_error("malformed", b"\x03\xfe\x01")
    for sample in _samples():
        wire = Codec.encode(sample)
        for size in range(len(wire)):
            try:
                Codec.decode(wire[:size])
            except DecodeError:
                continue
            assert sample.type == "ENCAPSULATED", (sample, size)

    # Client methods against a loopback fake gateway.
    gateway = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gateway.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=_fake_gateway, args=(gateway,), daemon=True)
    thread.start()
    with Client("127.0.0.1", gateway.getsockname()[1], timeout=2.0) as client:
        assert client.connect("c1", will={"topic": "w", "message": "bye", "qos": 1}) == ACCEPTED
        assert client.register("a/b") == 77
        assert client.publish(77, b"x", qos=1) == ACCEPTED
        assert client.publish("ab", b"y", qos=2) == ACCEPTED
        assert client.publish(77, b"z", qos=0) is None
        assert client.subscribe("a/#", qos=1) == (1, 5, ACCEPTED)
        incoming = client.recv()
        assert incoming.type == "PUBLISH" and incoming.data == b"r"
        client.ack_publish(incoming)
        client.unsubscribe(5, topic_id_type=TOPIC_PREDEFINED)
        during = client.pingreq()
        assert [m.type for m in during] == ["REGISTER"]
        client.ack_register(during[0])
        assert client.searchgw(1).gw_id == 1
        assert client.willtopicupd("w2", qos=1) == ACCEPTED
        assert client.willtopicupd(None) == ACCEPTED
        assert client.willmsgupd("m2") == ACCEPTED
        client.rebind()  # a new source port, as after a NAT rebinding
        assert client.disconnect().type == "DISCONNECT"
        assert client.recv(timeout=0.2) is None
    gateway.close()
    print("mqttsn_client self-test: OK")


def test_codec_and_client_self_test():
    _self_test()


if __name__ == "__main__":
    _self_test()
