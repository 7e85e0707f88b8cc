"""MQTT-SN 1.2 messages as bytes (stdlib only), for the end-to-end tests.

Written from "MQTT For Sensor Networks (MQTT-SN) Protocol Specification Version 1.2"
(OASIS/IBM, Nov 2013). `Codec` encodes/decodes every message of chapter 5 with the same
rules as the gateway's C++ codec (gateways/mqtt-sn/codec.hpp).
"""
import struct
from dataclasses import dataclass
from types import SimpleNamespace

# §5.2.2, table 3: message types.
ADVERTISE, SEARCHGW, GWINFO = 0x00, 0x01, 0x02
CONNECT, CONNACK = 0x04, 0x05
WILLTOPICREQ, WILLTOPIC, WILLMSGREQ, WILLMSG = 0x06, 0x07, 0x08, 0x09
REGISTER, REGACK = 0x0A, 0x0B
PUBLISH, PUBACK, PUBCOMP, PUBREC, PUBREL = 0x0C, 0x0D, 0x0E, 0x0F, 0x10
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 0x12, 0x13, 0x14, 0x15
PINGREQ, PINGRESP, DISCONNECT = 0x16, 0x17, 0x18
WILLTOPICUPD, WILLTOPICRESP, WILLMSGUPD, WILLMSGRESP = 0x1A, 0x1B, 0x1C, 0x1D
ENCAPSULATED = 0xFE

TYPE_NAMES = {
    ADVERTISE: "ADVERTISE", SEARCHGW: "SEARCHGW", GWINFO: "GWINFO", CONNECT: "CONNECT",
    CONNACK: "CONNACK", WILLTOPICREQ: "WILLTOPICREQ", WILLTOPIC: "WILLTOPIC",
    WILLMSGREQ: "WILLMSGREQ", WILLMSG: "WILLMSG", REGISTER: "REGISTER", REGACK: "REGACK",
    PUBLISH: "PUBLISH", PUBACK: "PUBACK", PUBCOMP: "PUBCOMP", PUBREC: "PUBREC",
    PUBREL: "PUBREL", SUBSCRIBE: "SUBSCRIBE", SUBACK: "SUBACK", UNSUBSCRIBE: "UNSUBSCRIBE",
    UNSUBACK: "UNSUBACK", PINGREQ: "PINGREQ", PINGRESP: "PINGRESP", DISCONNECT: "DISCONNECT",
    WILLTOPICUPD: "WILLTOPICUPD", WILLTOPICRESP: "WILLTOPICRESP", WILLMSGUPD: "WILLMSGUPD",
    WILLMSGRESP: "WILLMSGRESP", ENCAPSULATED: "ENCAPSULATED",
}
TYPE_CODES = {name: code for code, name in TYPE_NAMES.items()}

# §5.3.10, table 5: return codes.
ACCEPTED, CONGESTION, INVALID_TOPIC_ID, NOT_SUPPORTED = 0, 1, 2, 3

# §5.3.4, table 6, bits 1-0: topic id types.
TOPIC_NORMAL, TOPIC_PREDEFINED, TOPIC_SHORT_NAME, TOPIC_RESERVED = 0, 1, 2, 3

PROTOCOL_ID = 0x01  # §5.3.8


def type_name(code):
    """Name of a wire type byte ("CONNECT"...), "RESERVED" for unassigned values."""
    return TYPE_NAMES.get(code, "RESERVED")


def short_name_to_topic_id(name):
    """§3 short topic names: the two characters travel in the TopicId field, first one high."""
    raw = name.encode() if isinstance(name, str) else bytes(name)
    raw = (raw + b"\0\0")[:2]
    return (raw[0] << 8) | raw[1]


def topic_id_to_short_name(topic_id):
    return bytes([topic_id >> 8, topic_id & 0xFF]).decode("utf-8", "surrogateescape")


@dataclass
class Flags:
    """§5.3.4: DUP(7) QoS(6,5) Retain(4) Will(3) CleanSession(2) TopicIdType(1,0).

    qos is 0, 1, 2 or -1 (wire value 0b11)."""

    dup: bool = False
    qos: int = 0
    retain: bool = False
    will: bool = False
    clean_session: bool = False
    topic_id_type: int = TOPIC_NORMAL

    @classmethod
    def from_byte(cls, byte):
        qos_bits = (byte >> 5) & 0x03
        return cls(dup=bool(byte & 0x80), qos=-1 if qos_bits == 3 else qos_bits,
                   retain=bool(byte & 0x10), will=bool(byte & 0x08),
                   clean_session=bool(byte & 0x04), topic_id_type=byte & 0x03)

    def to_byte(self):
        qos_bits = 3 if self.qos == -1 else (self.qos if self.qos in (0, 1, 2) else 0)
        return ((0x80 if self.dup else 0) | (qos_bits << 5) | (0x10 if self.retain else 0)
                | (0x08 if self.will else 0) | (0x04 if self.clean_session else 0)
                | (self.topic_id_type & 0x03))


# Fields of each message type with their defaults (the C++ structs use the same names).
# Text fields are str (UTF-8, surrogateescape so any bytes survive), binary fields are bytes.
FIELDS = {
    "ADVERTISE": {"gw_id": 0, "duration": 0},
    "SEARCHGW": {"radius": 0},
    "GWINFO": {"gw_id": 0, "gw_addr": None},  # gw_addr only when a client answers (§5.4.3)
    "CONNECT": {"flags": None, "duration": 0, "client_id": ""},
    "CONNACK": {"return_code": ACCEPTED},
    "WILLTOPICREQ": {},
    "WILLTOPIC": {"flags": None, "will_topic": ""},  # flags None = the "empty" WILLTOPIC
    "WILLMSGREQ": {},
    "WILLMSG": {"will_message": b""},
    "REGISTER": {"topic_id": 0, "msg_id": 0, "topic_name": ""},
    "REGACK": {"topic_id": 0, "msg_id": 0, "return_code": ACCEPTED},
    "PUBLISH": {"flags": None, "topic_id": 0, "msg_id": 0, "data": b""},
    "PUBACK": {"topic_id": 0, "msg_id": 0, "return_code": ACCEPTED},
    "PUBCOMP": {"msg_id": 0},
    "PUBREC": {"msg_id": 0},
    "PUBREL": {"msg_id": 0},
    # topic_name for TOPIC_NORMAL, topic_id for predefined ids and short names.
    "SUBSCRIBE": {"flags": None, "msg_id": 0, "topic_name": None, "topic_id": None},
    "SUBACK": {"flags": None, "topic_id": 0, "msg_id": 0, "return_code": ACCEPTED},
    "UNSUBSCRIBE": {"flags": None, "msg_id": 0, "topic_name": None, "topic_id": None},
    "UNSUBACK": {"msg_id": 0},
    "PINGREQ": {"client_id": None},
    "PINGRESP": {},
    "DISCONNECT": {"duration": None},
    "WILLTOPICUPD": {"flags": None, "will_topic": ""},
    "WILLTOPICRESP": {"return_code": ACCEPTED},
    "WILLMSGUPD": {"will_message": b""},
    "WILLMSGRESP": {"return_code": ACCEPTED},
    "ENCAPSULATED": {"ctrl": 0, "node_id": b"", "message": b""},  # message: inner datagram
}
# Types whose "flags" field means a Flags value even when left out.
_ALWAYS_FLAGS = {"CONNECT", "PUBLISH", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE"}


class Message(SimpleNamespace):
    """One decoded MQTT-SN message: `type` is the name ("PUBLISH"), the other attributes are
    the fields listed in FIELDS. Missing fields take their defaults."""

    def __init__(self, type, **fields):  # noqa: A002 - the spec calls it MsgType
        if type not in FIELDS:
            raise ValueError(f"unknown message type {type!r}")
        unknown = set(fields) - set(FIELDS[type])
        if unknown:
            raise TypeError(f"{type} has no field(s) {sorted(unknown)}")
        values = dict(FIELDS[type], **fields)
        if type in _ALWAYS_FLAGS and values.get("flags") is None:
            values["flags"] = Flags()
        super().__init__(type=type, **values)


class DecodeError(Exception):
    """kind is one of too_short, bad_length, unknown_type, malformed (as the C++ DecodeError);
    type is the wire type byte when it could be read."""

    def __init__(self, kind, type_byte=None, detail=""):
        super().__init__(f"{kind} ({type_name(type_byte) if type_byte is not None else '?'}) {detail}")
        self.kind = kind
        self.type = type_byte


class Codec:
    """Encode/decode of every MQTT-SN 1.2 message, chapter 5.

    Length (§5.2.1): one byte when the whole message is at most 255 bytes, else 0x01 followed by
    the 2-byte big-endian total length; the length counts itself. Decoding accepts both forms
    and requires the length to equal the datagram size (except ENCAPSULATED, §5.5, whose length
    covers only its own header)."""

    @staticmethod
    def _text(value):
        return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)

    @staticmethod
    def _str(raw):
        return bytes(raw).decode("utf-8", "surrogateescape")

    # ---- encoding ---------------------------------------------------------------------------

    @classmethod
    def encode(cls, message, long_form=False):
        """Bytes of `message`; long_form=True forces the 3-byte length even for short ones."""
        body, tail = cls._encode_body(message), b""
        if message.type == "ENCAPSULATED":
            tail = bytes(message.message)  # not counted in the length, §5.5
        code = TYPE_CODES[message.type]
        if not long_form and len(body) + 2 <= 255:
            return bytes([len(body) + 2, code]) + body + tail
        total = len(body) + 4
        if total > 0xFFFF:
            raise ValueError("message longer than 65535 bytes")
        return bytes([0x01]) + struct.pack("!HB", total, code) + body + tail

    @classmethod
    def _encode_body(cls, m):
        t = m.type
        u16 = lambda v: struct.pack("!H", v)  # noqa: E731
        if t == "ADVERTISE":
            return bytes([m.gw_id]) + u16(m.duration)
        if t == "SEARCHGW":
            return bytes([m.radius])
        if t == "GWINFO":
            return bytes([m.gw_id]) + (bytes(m.gw_addr) if m.gw_addr is not None else b"")
        if t == "CONNECT":
            return bytes([m.flags.to_byte(), PROTOCOL_ID]) + u16(m.duration) + cls._text(m.client_id)
        if t in ("CONNACK", "WILLTOPICRESP", "WILLMSGRESP"):
            return bytes([m.return_code])
        if t in ("WILLTOPICREQ", "WILLMSGREQ", "PINGRESP"):
            return b""
        if t in ("WILLTOPIC", "WILLTOPICUPD"):
            return b"" if m.flags is None else bytes([m.flags.to_byte()]) + cls._text(m.will_topic)
        if t in ("WILLMSG", "WILLMSGUPD"):
            return cls._text(m.will_message)
        if t == "REGISTER":
            return u16(m.topic_id) + u16(m.msg_id) + cls._text(m.topic_name)
        if t in ("REGACK", "PUBACK"):
            return u16(m.topic_id) + u16(m.msg_id) + bytes([m.return_code])
        if t == "PUBLISH":
            return bytes([m.flags.to_byte()]) + u16(m.topic_id) + u16(m.msg_id) + cls._text(m.data)
        if t in ("PUBCOMP", "PUBREC", "PUBREL", "UNSUBACK"):
            return u16(m.msg_id)
        if t in ("SUBSCRIBE", "UNSUBSCRIBE"):
            head = bytes([m.flags.to_byte()]) + u16(m.msg_id)
            if m.flags.topic_id_type == TOPIC_NORMAL:
                return head + cls._text(m.topic_name or "")
            return head + u16(m.topic_id or 0)
        if t == "SUBACK":
            return bytes([m.flags.to_byte()]) + u16(m.topic_id) + u16(m.msg_id) + bytes([m.return_code])
        if t == "PINGREQ":
            return cls._text(m.client_id) if m.client_id else b""
        if t == "DISCONNECT":
            return b"" if m.duration is None else u16(m.duration)
        if t == "ENCAPSULATED":
            return bytes([m.ctrl]) + bytes(m.node_id)
        raise ValueError(f"cannot encode {t}")

    # ---- decoding ---------------------------------------------------------------------------

    @classmethod
    def decode(cls, datagram):
        """Message of one datagram, or DecodeError (same acceptance rules as the C++ codec)."""
        data = bytes(datagram)
        if len(data) < 2:
            raise DecodeError("too_short")
        header = 1
        length = data[0]
        if data[0] == 0x01:
            if len(data) < 4:
                raise DecodeError("too_short")
            header, length = 3, struct.unpack("!H", data[1:3])[0]
        code = data[header]
        if code not in TYPE_NAMES:
            raise DecodeError("unknown_type" if length == len(data) else "bad_length", code)
        if code == ENCAPSULATED:
            return cls._decode_encapsulated(data, header, length)
        if length < header + 1 or length != len(data):
            raise DecodeError("bad_length", code, f"length field {length}, datagram {len(data)}")
        try:
            return cls._decode_body(TYPE_NAMES[code], data[header + 1:])
        except (ValueError, struct.error) as error:
            raise DecodeError("malformed", code, str(error)) from None

    @staticmethod
    def _decode_encapsulated(data, header, length):
        ctrl_at = header + 1
        if length < ctrl_at + 1 or length > len(data):
            raise DecodeError("bad_length", ENCAPSULATED)
        if len(data) - length < 2:
            raise DecodeError("malformed", ENCAPSULATED, "no inner message")
        return Message("ENCAPSULATED", ctrl=data[ctrl_at], node_id=data[ctrl_at + 1:length],
                       message=data[length:])

    @classmethod
    def _decode_body(cls, t, body):
        def need(size, exact=True):
            if len(body) < size or (exact and len(body) != size):
                raise ValueError(f"{t} body of {len(body)} bytes")

        u16 = lambda at: struct.unpack("!H", body[at:at + 2])[0]  # noqa: E731
        if t == "ADVERTISE":
            need(3)
            return Message(t, gw_id=body[0], duration=u16(1))
        if t == "SEARCHGW":
            need(1)
            return Message(t, radius=body[0])
        if t == "GWINFO":
            need(1, exact=False)
            return Message(t, gw_id=body[0], gw_addr=body[1:] if len(body) > 1 else None)
        if t == "CONNECT":
            need(4, exact=False)
            if body[1] != PROTOCOL_ID:
                raise ValueError(f"protocol id {body[1]}")
            return Message(t, flags=Flags.from_byte(body[0]), duration=u16(2),
                           client_id=cls._str(body[4:]))
        if t in ("CONNACK", "WILLTOPICRESP", "WILLMSGRESP"):
            need(1)
            return Message(t, return_code=body[0])
        if t in ("WILLTOPICREQ", "WILLMSGREQ", "PINGRESP"):
            need(0)
            return Message(t)
        if t in ("WILLTOPIC", "WILLTOPICUPD"):
            if not body:
                return Message(t)  # the "empty" form deletes the will, §5.4.7
            return Message(t, flags=Flags.from_byte(body[0]), will_topic=cls._str(body[1:]))
        if t in ("WILLMSG", "WILLMSGUPD"):
            return Message(t, will_message=body)
        if t == "REGISTER":
            need(5, exact=False)
            return Message(t, topic_id=u16(0), msg_id=u16(2), topic_name=cls._str(body[4:]))
        if t in ("REGACK", "PUBACK"):
            need(5)
            return Message(t, topic_id=u16(0), msg_id=u16(2), return_code=body[4])
        if t == "PUBLISH":
            need(5, exact=False)
            return Message(t, flags=Flags.from_byte(body[0]), topic_id=u16(1), msg_id=u16(3),
                           data=body[5:])
        if t in ("PUBCOMP", "PUBREC", "PUBREL", "UNSUBACK"):
            need(2)
            return Message(t, msg_id=u16(0))
        if t in ("SUBSCRIBE", "UNSUBSCRIBE"):
            need(3, exact=False)
            flags = Flags.from_byte(body[0])
            if flags.topic_id_type == TOPIC_NORMAL:
                need(4, exact=False)  # a topic filter is never empty
                return Message(t, flags=flags, msg_id=u16(1), topic_name=cls._str(body[3:]))
            if flags.topic_id_type == TOPIC_RESERVED:
                raise ValueError("reserved topic id type")
            need(5)
            return Message(t, flags=flags, msg_id=u16(1), topic_id=u16(3))
        if t == "SUBACK":
            need(6)
            return Message(t, flags=Flags.from_byte(body[0]), topic_id=u16(1), msg_id=u16(3),
                           return_code=body[5])
        if t == "PINGREQ":
            return Message(t, client_id=cls._str(body) if body else None)
        if t == "DISCONNECT":
            if not body:
                return Message(t)
            need(2)
            return Message(t, duration=u16(0))
        raise ValueError(f"no decoder for {t}")
