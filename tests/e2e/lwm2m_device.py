"""A LwM2M 1.0/1.1 device (client) simulator for the LwM2M gateway's end-to-end tests, written
from OMA LwM2M TS 1.0/1.1 (§5 interfaces, §6.4 TLV and OMA-JSON; TS 1.1 §7.4 SenML JSON/CBOR),
RFC 7252 (CoAP), RFC 7641 (Observe) and RFC 6690 (link format). Stdlib only; CoAP bytes come
from coap_raw.

`Device` runs on its own UDP socket and thread. The thread answers the server's requests
(Read, Discover, Write, Write-Attributes, Execute, Create, Delete, Observe and its cancellation)
from an in-memory object tree and retransmits the device's own CON messages; the test thread
drives the Registration interface with register() / update() / deregister(), changes values with
set_value() and reports them with notify(), and simulates queue mode with sleep() / wake().
Every request received is recorded in Device.requests for assertions. Nothing here asserts;
the self-test is test_lwm2m_device.py.

    with Device(gateway_port, endpoint="dev1") as device:
        assert device.register().code == code("2.01")
        device.wait_for_request(method="GET", path="/3/0/9")
"""
import base64
import copy
import json
import logging
import os
import random
import re
import socket
import struct
import threading
import time
import traceback
from dataclasses import dataclass, field

from coap_raw import (ACK, CON, CONTENT_FORMAT, DELETE, GET, NON, OBSERVE, POST, PUT, RST,
                      URI_PATH, URI_QUERY, Message, code, encode, uint)

log = logging.getLogger("lwm2m_device")

# CoAP options coap_raw does not name (RFC 7252 §12.2, RFC 7959).
IF_MATCH, URI_HOST, IF_NONE_MATCH, URI_PORT, LOCATION_PATH = 1, 3, 5, 7, 8
ACCEPT, BLOCK2, BLOCK1, SIZE1 = 17, 23, 27, 60

# Content-Formats (LwM2M TS 1.0 §6.4, TS 1.1 §7.4, RFC 6690).
TEXT, LINK_FORMAT, OPAQUE, SENML_JSON, TLV, OMA_JSON = 0, 40, 42, 110, 11542, 11543
SENML_CBOR = 112
READ_FORMATS = (TEXT, OPAQUE, TLV, OMA_JSON, SENML_JSON, SENML_CBOR)

# Response codes.
CREATED, DELETED, CHANGED, CONTENT = code("2.01"), code("2.02"), code("2.04"), code("2.05")
BAD_REQUEST, BAD_OPTION, NOT_FOUND = code("4.00"), code("4.02"), code("4.04")
METHOD_NOT_ALLOWED, NOT_ACCEPTABLE = code("4.05"), code("4.06")
CONTINUE, REQUEST_ENTITY_INCOMPLETE = code("2.31"), code("4.08")
REQUEST_ENTITY_TOO_LARGE = code("4.13")
UNSUPPORTED_CONTENT_FORMAT, INTERNAL_SERVER_ERROR = code("4.15"), code("5.00")

METHOD_NAMES = {GET: "GET", POST: "POST", PUT: "PUT", DELETE: "DELETE"}

# TLV entry kinds (TS 1.0 §6.4.3, bits 7-6 of the type byte).
OBJECT_INSTANCE, RESOURCE_INSTANCE, MULTIPLE_RESOURCE, RESOURCE = 0, 1, 2, 3

# Write-Attributes names (TS 1.0 §5.1.2; epmin/epmax TS 1.1), in the order Discover lists them.
ATTRIBUTES = ("pmin", "pmax", "gt", "lt", "st", "epmin", "epmax")
NUMERIC_TYPES = ("Integer", "Float")


def code_text(value):
    """0x45 -> "2.05"."""
    return f"{value >> 5}.{value & 0x1F:02d}"


# ---- object model --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResourceDef:
    id: int
    name: str
    type: str        # String, Integer, Float, Boolean, Opaque, Time, Objlnk, None (executable)
    ops: str         # "R", "W", "RW" or "E"
    multiple: bool = False


@dataclass(frozen=True)
class ObjectDef:
    id: int
    name: str
    resources: dict  # resource id -> ResourceDef
    creatable: bool = False  # the server may Create and Delete its instances


def _object(id_, name, resources, creatable=False):
    return ObjectDef(id_, name, {r.id: r for r in resources}, creatable)


OBJECTS = {
    1: _object(1, "LwM2M Server", [
        ResourceDef(0, "Short Server ID", "Integer", "R"),
        ResourceDef(1, "Lifetime", "Integer", "RW"),
        ResourceDef(6, "Notification Storing When Disabled or Offline", "Boolean", "RW"),
        ResourceDef(7, "Binding", "String", "RW"),
        ResourceDef(8, "Registration Update Trigger", "None", "E"),
    ]),
    3: _object(3, "Device", [
        ResourceDef(0, "Manufacturer", "String", "R"),
        ResourceDef(1, "Model Number", "String", "R"),
        ResourceDef(2, "Serial Number", "String", "R"),
        ResourceDef(3, "Firmware Version", "String", "R"),
        ResourceDef(4, "Reboot", "None", "E"),
        ResourceDef(6, "Available Power Sources", "Integer", "R", multiple=True),
        ResourceDef(7, "Power Source Voltage", "Integer", "R", multiple=True),
        ResourceDef(9, "Battery Level", "Integer", "R"),
        ResourceDef(11, "Error Code", "Integer", "R", multiple=True),
        ResourceDef(13, "Current Time", "Time", "RW"),
        ResourceDef(14, "UTC Offset", "String", "RW"),
        ResourceDef(16, "Supported Binding and Modes", "String", "R"),
    ]),
    5: _object(5, "Firmware Update", [
        ResourceDef(0, "Package", "Opaque", "W"),
        ResourceDef(1, "Package URI", "String", "RW"),
        ResourceDef(2, "Update", "None", "E"),
        ResourceDef(3, "State", "Integer", "R"),
        ResourceDef(5, "Update Result", "Integer", "R"),
    ]),
    3303: _object(3303, "Temperature", [
        ResourceDef(5700, "Sensor Value", "Float", "R"),
        ResourceDef(5701, "Sensor Units", "String", "RW"),
    ], creatable=True),
}

TYPE_DEFAULTS = {"String": "", "Integer": 0, "Float": 0.0, "Boolean": False, "Opaque": b"",
                 "Time": 0, "Objlnk": (0xFFFF, 0xFFFF), "None": None}


def default_values(lifetime=300, binding="U"):
    """The simulator's initial object tree: {object: {instance: {resource: value}}}; a multiple
    resource's value is {resource instance: value}, an executable resource's None."""
    return {
        1: {0: {0: 101, 1: lifetime, 6: False, 7: binding, 8: None}},
        3: {0: {0: "gatemq-sim", 1: "sim-1", 2: "SN-0001", 3: "1.0.0", 4: None,
                6: {0: 1, 1: 5}, 7: {0: 3800, 1: 5000}, 9: 95, 11: {0: 0},
                13: 1700000000, 14: "+01:00", 16: "UQ"}},
        5: {0: {0: b"", 1: "", 2: None, 3: 0, 5: 0}},
        3303: {0: {5700: 21.5, 5701: "Cel"}},
    }


def parse_path(text):
    """"/3/0/9" -> (3, 0, 9); "/" -> ()."""
    return tuple(int(segment) for segment in text.strip("/").split("/") if segment)


def path_text(path):
    return "/" + "/".join(str(part) for part in path)


# ---- value encodings -----------------------------------------------------------------------------

def tlv_entry(kind, id_, value):
    """One TLV entry (TS 1.0 §6.4.3): type byte, 8- or 16-bit identifier, length in the type
    byte (< 8) or in 1, 2 or 3 following bytes, then the value."""
    type_byte = kind << 6
    if id_ > 0xFF:
        type_byte |= 0x20
        identifier = id_.to_bytes(2, "big")
    else:
        identifier = bytes([id_])
    size = len(value)
    if size < 8:
        type_byte |= size
        length = b""
    elif size < 0x100:
        type_byte |= 0x08
        length = bytes([size])
    elif size < 0x10000:
        type_byte |= 0x10
        length = size.to_bytes(2, "big")
    else:
        type_byte |= 0x18
        length = size.to_bytes(3, "big")
    return bytes([type_byte]) + identifier + length + bytes(value)


def tlv_decode(data):
    """[(kind, id, value bytes)] of the top-level entries; ValueError when malformed."""
    entries, position = [], 0
    data = bytes(data)
    while position < len(data):
        type_byte = data[position]
        position += 1
        id_size = 2 if type_byte & 0x20 else 1
        length_size = type_byte >> 3 & 3
        if position + id_size + length_size > len(data):
            raise ValueError("truncated TLV header")
        id_ = int.from_bytes(data[position:position + id_size], "big")
        position += id_size
        if length_size:
            size = int.from_bytes(data[position:position + length_size], "big")
            position += length_size
        else:
            size = type_byte & 7
        if position + size > len(data):
            raise ValueError("TLV value runs past the payload")
        entries.append((type_byte >> 6, id_, data[position:position + size]))
        position += size
    return entries


def tlv_value(type_, value):
    """A resource value's TLV bytes (TS 1.0 §6.4.3.1): signed integers in the fewest of 1, 2, 4
    or 8 bytes, floats in 4 bytes when exact in single precision else 8."""
    if type_ in ("Integer", "Time"):
        for size in (1, 2, 4, 8):
            if -(1 << (8 * size - 1)) <= value < 1 << (8 * size - 1):
                return value.to_bytes(size, "big", signed=True)
        raise ValueError("integer out of range")
    if type_ == "Float":
        single = struct.pack(">f", value)
        return single if struct.unpack(">f", single)[0] == value else struct.pack(">d", value)
    if type_ == "Boolean":
        return b"\x01" if value else b"\x00"
    if type_ == "String":
        return value.encode()
    if type_ == "Opaque":
        return bytes(value)
    if type_ == "Objlnk":
        return struct.pack(">HH", *value)
    raise ValueError(f"no TLV value for type {type_}")


def value_from_tlv(type_, raw):
    if type_ in ("Integer", "Time"):
        if len(raw) not in (1, 2, 4, 8):
            raise ValueError(f"integer of {len(raw)} bytes")
        return int.from_bytes(raw, "big", signed=True)
    if type_ == "Float":
        if len(raw) == 4:
            return struct.unpack(">f", raw)[0]
        if len(raw) == 8:
            return struct.unpack(">d", raw)[0]
        raise ValueError(f"float of {len(raw)} bytes")
    if type_ == "Boolean":
        if raw not in (b"\x00", b"\x01"):
            raise ValueError("boolean is not one byte 0 or 1")
        return raw == b"\x01"
    if type_ == "String":
        return raw.decode()  # UnicodeDecodeError is a ValueError
    if type_ == "Opaque":
        return bytes(raw)
    if type_ == "Objlnk":
        if len(raw) != 4:
            raise ValueError("objlnk is not 4 bytes")
        return struct.unpack(">HH", raw)
    raise ValueError(f"no value of type {type_}")


def text_value(type_, value):
    """text/plain (TS 1.0 §6.4.1; Opaque as base64 per TS 1.1 §7.4.1)."""
    if type_ in ("Integer", "Time"):
        return str(value).encode()
    if type_ == "Float":
        return repr(float(value)).encode()
    if type_ == "Boolean":
        return b"1" if value else b"0"
    if type_ == "String":
        return value.encode()
    if type_ == "Opaque":
        return base64.b64encode(value)
    if type_ == "Objlnk":
        return f"{value[0]}:{value[1]}".encode()
    raise ValueError(f"no text for type {type_}")


def value_from_text(type_, raw):
    text = raw.decode()
    if type_ in ("Integer", "Time"):
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise ValueError(f"not an integer: {text!r}")
        return int(text)
    if type_ == "Float":
        if not re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", text):
            raise ValueError(f"not a number: {text!r}")
        return float(text)
    if type_ == "Boolean":
        if text not in ("0", "1"):
            raise ValueError(f"not a boolean: {text!r}")
        return text == "1"
    if type_ == "String":
        return text
    if type_ == "Opaque":
        return base64.b64decode(raw, validate=True)  # binascii.Error is a ValueError
    if type_ == "Objlnk":
        match = re.fullmatch(r"([0-9]+):([0-9]+)", text)
        if not match or int(match[1]) > 0xFFFF or int(match[2]) > 0xFFFF:
            raise ValueError(f"not an object link: {text!r}")
        return int(match[1]), int(match[2])
    raise ValueError(f"no value of type {type_}")


def cbor_encode(item):
    """RFC 8949 encoding of int, bytes, str, list, dict (int or str keys), bool, float (always
    as a double) and None; definite lengths only. Stdlib Python has no CBOR."""
    def head(major, argument):
        if argument < 24:
            return bytes([major << 5 | argument])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if argument < 1 << (8 * size):
                return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
        raise ValueError(f"integer {argument} does not fit CBOR")

    if item is False or item is True:
        return bytes([0xF5 if item else 0xF4])
    if item is None:
        return b"\xf6"
    if isinstance(item, int):
        return head(0, item) if item >= 0 else head(1, -1 - item)
    if isinstance(item, float):
        return b"\xfb" + struct.pack(">d", item)
    if isinstance(item, (bytes, bytearray)):
        return head(2, len(item)) + bytes(item)
    if isinstance(item, str):
        text = item.encode()
        return head(3, len(text)) + text
    if isinstance(item, (list, tuple)):
        return head(4, len(item)) + b"".join(cbor_encode(element) for element in item)
    if isinstance(item, dict):
        return head(5, len(item)) + b"".join(cbor_encode(key) + cbor_encode(value)
                                             for key, value in item.items())
    raise TypeError(f"no CBOR for {type(item).__name__}")


# SenML CBOR integer labels (RFC 8428 §6, Table 6); LwM2M's "vlo" keeps its text key.
SENML_CBOR_LABELS = {"bver": -1, "bn": -2, "bt": -3, "bu": -4, "bv": -5, "bs": -6, "n": 0,
                     "u": 1, "v": 2, "vs": 3, "vb": 4, "s": 5, "t": 6, "ut": 7, "vd": 8}


def senml_cbor(records):
    """A SenML pack (list of SenML JSON records, "vd" as bytes) in SenML CBOR."""
    return cbor_encode([{SENML_CBOR_LABELS.get(key, key): value for key, value in record.items()}
                        for record in records])


def cbor_decode(data):
    """The one item of an RFC 8949 encoding: int, bytes, str, list, dict, bool, None, float;
    definite lengths only (what SenML CBOR writers send). ValueError when malformed."""
    data = bytes(data)

    def item(position):
        if position >= len(data):
            raise ValueError("CBOR runs short")
        initial = data[position]
        major, info = initial >> 5, initial & 0x1F
        position += 1
        if major == 7:
            if info in (20, 21, 22):
                return (False, True, None)[info - 20], position
            sizes = {25: (2, ">e"), 26: (4, ">f"), 27: (8, ">d")}
            if info not in sizes or position + sizes[info][0] > len(data):
                raise ValueError(f"unsupported CBOR simple value {info}")
            size, layout = sizes[info]
            return struct.unpack(layout, data[position:position + size])[0], position + size
        if info < 24:
            argument = info
        elif info <= 27:
            size = 1 << (info - 24)
            if position + size > len(data):
                raise ValueError("CBOR runs short")
            argument = int.from_bytes(data[position:position + size], "big")
            position += size
        else:
            raise ValueError("indefinite or reserved CBOR length")
        if major == 0:
            return argument, position
        if major == 1:
            return -1 - argument, position
        if major in (2, 3):
            if position + argument > len(data):
                raise ValueError("CBOR string runs past the payload")
            raw = data[position:position + argument]
            return (raw if major == 2 else raw.decode()), position + argument
        if major == 4:
            out = []
            for _ in range(argument):
                element, position = item(position)
                out.append(element)
            return out, position
        if major == 5:
            out = {}
            for _ in range(argument):
                key, position = item(position)
                out[key], position = item(position)
            return out, position
        raise ValueError("CBOR tags are not taken")

    decoded, end = item(0)
    if end != len(data):
        raise ValueError("trailing bytes after the CBOR item")
    return decoded


SENML_CBOR_NAMES = {label: name for name, label in {
    "bver": -1, "bn": -2, "bt": -3, "bu": -4, "bv": -5, "bs": -6, "n": 0, "u": 1, "v": 2,
    "vs": 3, "vb": 4, "s": 5, "t": 6, "ut": 7, "vd": 8}.items()}


def senml_values(cf, payload, definitions):
    """{full path tuple: value} of a SenML JSON or CBOR pack (RFC 8428: "bn" applies until the
    next one), each value read as its resource's type; ValueError when malformed, unknown or
    of the wrong kind."""
    if cf == SENML_CBOR:
        records = [{SENML_CBOR_NAMES.get(key, key): value for key, value in record.items()}
                   for record in cbor_decode(payload)]
    else:
        records = json.loads(payload)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("a SenML pack is an array of records")
    values, base = {}, ""
    for record in records:
        base = record.get("bn", base)
        path = parse_path(base + record.get("n", ""))
        definition = definitions.get(path[0]) if path else None
        if len(path) not in (3, 4) or definition is None or path[2] not in definition.resources:
            raise ValueError(f"no resource at {path_text(path)}")
        type_ = definition.resources[path[2]].type
        values[path] = _senml_record_value(type_, record)
    return values


def _senml_record_value(type_, record):
    def field(key, kinds):
        if key not in record or not isinstance(record[key], kinds) or \
                isinstance(record[key], bool) != (kinds is bool):
            raise ValueError(f"a {type_} needs '{key}'")
        return record[key]

    if type_ in ("Integer", "Time"):
        value = field("v", (int, float))
        if value != int(value):
            raise ValueError("not an integer")
        return int(value)
    if type_ == "Float":
        return float(field("v", (int, float)))
    if type_ == "Boolean":
        return field("vb", bool)
    if type_ == "String":
        return field("vs", str)
    if type_ == "Opaque":
        data = field("vd", (str, bytes))
        if isinstance(data, bytes):
            return data
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    if type_ == "Objlnk":
        return value_from_text("Objlnk", field("vlo", str).encode())
    raise ValueError(f"no value of type {type_}")


def _json_field(type_, value, senml):
    """(key, value) of one OMA-JSON (TS 1.0 §6.4.4) or SenML JSON (RFC 8428, TS 1.1 §7.4.4)
    record value."""
    if type_ in ("Integer", "Time", "Float"):
        return "v", value
    if type_ == "Boolean":
        return ("vb" if senml else "bv"), bool(value)
    if type_ == "String":
        return ("vs" if senml else "sv"), value
    if type_ == "Opaque":
        if senml:  # RFC 8428 §4.3: base64url without padding
            return "vd", base64.urlsafe_b64encode(value).rstrip(b"=").decode()
        return "sv", base64.b64encode(value).decode()
    if type_ == "Objlnk":
        return ("vlo" if senml else "ov"), f"{value[0]}:{value[1]}"
    raise ValueError(f"no JSON for type {type_}")


def parse_execute_arguments(payload):
    """{digit: value or None} from Execute arguments (TS 1.0 §5.4.5: `0='abc',1`); ValueError
    when they do not follow that grammar."""
    text = payload.decode()
    if not text:
        return {}
    argument = r"[0-9](='[^']*')?"
    if not re.fullmatch(f"{argument}(,{argument})*", text):
        raise ValueError(f"bad execute arguments: {text!r}")
    return {int(match[1]): match[3] for match in re.finditer(r"([0-9])(='([^']*)')?", text)}


def block_value(num, more, szx):
    """The Block1 / Block2 option value (RFC 7959 §2.2), shortest form."""
    return uint((num << 4) | (8 if more else 0) | szx)


def parse_block(value):
    """(num, more, szx) of a Block option value; None for a malformed one."""
    if value is None or len(value) > 3:
        return None
    raw = int.from_bytes(value, "big")
    if raw & 7 == 7:
        return None
    return raw >> 4, bool(raw & 8), raw & 7


def block_szx(size):
    """The SZX of a block size 16..1024 (a power of two)."""
    if size not in (16, 32, 64, 128, 256, 512, 1024):
        raise ValueError(f"bad block size {size}")
    return size.bit_length() - 5


def parse_datagram(data):
    """coap_raw.Message for a well-formed CoAP message (RFC 7252 §3), None otherwise: version 1,
    token length at most 8, options within the datagram (nibble 15 only as the payload marker),
    no payload marker before an empty payload, reserved code classes 1/6/7 refused, an Empty
    message with nothing after its header."""
    if len(data) < 4 or data[0] >> 6 != 1:
        return None
    token_length = data[0] & 0x0F
    if token_length > 8 or len(data) < 4 + token_length or data[1] >> 5 in (1, 6, 7):
        return None
    if data[1] == 0 and len(data) != 4:
        return None
    position = 4 + token_length
    while position < len(data):
        if data[position] == 0xFF:
            if position + 1 == len(data):
                return None
            break
        delta, length = data[position] >> 4, data[position] & 0x0F
        position += 1
        values = []
        for nibble in (delta, length):
            if nibble == 15:
                return None
            if nibble == 13:
                if position >= len(data):
                    return None
                values.append(data[position] + 13)
                position += 1
            elif nibble == 14:
                if position + 2 > len(data):
                    return None
                values.append(int.from_bytes(data[position:position + 2], "big") + 269)
                position += 2
            else:
                values.append(nibble)
        position += values[1]
        if position > len(data):
            return None
    return Message(bytes(data))


# ---- records -------------------------------------------------------------------------------------

@dataclass
class Request:
    """One request the device received (duplicates are in Device.duplicates instead)."""
    type: int
    method: int
    path: str                # as received, alternate path included: "/3/0/9"
    query: list              # Uri-Query strings in order: ["pmin=10"]
    content_format: object   # int or None
    accept: object           # int or None
    payload: bytes
    observe: object          # int or None
    token: bytes
    mid: int
    peer: tuple
    response_code: int = None
    response_payload: bytes = b""

    @property
    def method_name(self):
        return METHOD_NAMES.get(self.method, f"0.{self.method:02d}")

    def __repr__(self):
        return (f"Request({self.method_name} {self.path} query={self.query} "
                f"cf={self.content_format} accept={self.accept} observe={self.observe} "
                f"payload={self.payload!r} -> {code_text(self.response_code or 0)})")


@dataclass
class Execution:
    path: str
    arguments: dict
    payload: bytes


@dataclass
class Observer:
    peer: tuple
    token: bytes
    path: tuple
    format: int
    sequence: int = 1


@dataclass
class Notification:
    """One notification the device sent."""
    path: str        # the observed path
    token: bytes
    sequence: object  # Observe value, None for an error notification
    type: int        # CON or NON
    mid: int
    code: int
    payload: bytes


class _Reply(Exception):
    """A response (usually an error) to send instead of going on."""

    def __init__(self, code_, payload=b"", options=()):
        super().__init__(code_text(code_))
        self.code = code_
        self.payload = payload if isinstance(payload, bytes) else payload.encode()
        self.options = list(options)


@dataclass
class _Exchange:
    """One CON message the device sent and retransmits until its ACK (RFC 7252 §4.2)."""
    mid: int
    token: bytes
    datagram: bytes
    peer: tuple
    timeout: float
    next_at: float
    kind: str                     # "request" or "notification"
    observer: Observer = None
    retransmissions: int = 0
    acked: bool = False
    response: object = None       # coap_raw.Message (a response, or the RST)
    failed: bool = False
    done: threading.Event = field(default_factory=threading.Event)


# ---- the device ----------------------------------------------------------------------------------

class Device:
    """A LwM2M device on its own UDP socket and thread.

    Attributes tests read: requests (Request, first copy of each), duplicates (Request),
    executions (Execution), notifications (Notification sent), observers ({(peer, token):
    Observer}), attributes ({path tuple: {name: text}}), values (the object tree, see
    default_values), location (Location-Path segments from registration), missed (datagrams
    that arrived while asleep and were dropped), garbage (malformed datagrams ignored), errors
    (tracebacks of internal failures; empty in a good run).

    Options: lifetime, version ("1.0"/"1.1"), binding ("U"/"UQ"), alternate_path ("/lwm2m":
    objects are registered and served under it), object_links (registration payload override),
    read_format (Content-Format for every read that can use it; default TLV for objects,
    instances and multiple resources, text/plain for single resources, opaque for Opaque ones),
    notify_con (notifications as CON instead of NON), ack_timeout / ack_random_factor /
    max_retransmit (RFC 7252 §4.8, shortened for tests), response_timeout (wait for a separate
    response after an empty ACK), exchange_lifetime (how long a request's Message ID marks
    duplicates, RFC 7252 §4.8.2), block_size (16..1024: reads, observe answers and
    notifications bigger than it go block-wise with Block2, RFC 7959; the server asks for the
    next blocks with Block2 NUM), has_tlv (False: a stock Wakaama 1.1 device, built without TLV
    and OMA-JSON: a read or observation without Accept, or asking for TLV or OMA-JSON, gets 5.00
    Internal Server Error, as Wakaama's serializer falls back to TLV and fails; a write or
    create in TLV gets 4.15; text, opaque, SenML JSON and SenML CBOR work as on any device;
    writes and creates take SenML JSON and CBOR in either mode). A test may set block2_hook, a function (num, more, szx, chunk)
    -> (num, more, szx, chunk), to tamper with the Block2 blocks the device sends."""

    def __init__(self, server_port, endpoint="gatemq-sim", server_host="127.0.0.1", lifetime=300,
                 version="1.0", binding="U", alternate_path=None, object_links=None,
                 read_format=None, notify_con=False, ack_timeout=1.0, ack_random_factor=1.5,
                 max_retransmit=4, response_timeout=10.0, exchange_lifetime=247.0,
                 bind_host="127.0.0.1", block_size=None, has_tlv=True):
        if read_format is not None and read_format not in READ_FORMATS:
            raise ValueError(f"unsupported read format {read_format}")
        self.has_tlv = has_tlv
        self.server = (server_host, server_port)
        self.endpoint = endpoint
        self.lifetime = lifetime
        self.version = version
        self.binding = binding
        self.prefix = tuple(s for s in (alternate_path or "").strip("/").split("/") if s)
        self.object_links_override = object_links
        self.read_format = read_format
        self.notify_con = notify_con
        self.ack_timeout = ack_timeout
        self.ack_random_factor = ack_random_factor
        self.max_retransmit = max_retransmit
        self.response_timeout = response_timeout
        self.exchange_lifetime = exchange_lifetime
        self.block_size = block_size
        if block_size is not None:
            block_szx(block_size)
        self.block2_hook = None

        self.definitions = {i: ObjectDef(d.id, d.name, dict(d.resources), d.creatable)
                            for i, d in OBJECTS.items()}  # a test may change its own copy
        self.values = default_values(lifetime, binding)
        self.attributes = {}
        self.observers = {}
        self.location = None
        self.requests, self.duplicates, self.executions, self.notifications = [], [], [], []
        self.missed, self.garbage, self.errors = [], [], []

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._exchanges = {}          # mid -> _Exchange
        self._recent = {}             # (peer, mid) -> (token, time, response or None for NON)
        self._pending_notify = []     # (path, con) notified while asleep, sent on wake()
        self._non_notifications = {}  # mid -> Observer, to cancel on RST
        self._answered_tokens = []    # tokens of recent requests that got their response
        self._uploads = {}            # (peer, path) -> Block1 body so far (RFC 7959 §2.5)
        self._mid = random.randrange(0x10000)
        self._awake = threading.Event()
        self._awake.set()
        self._parked = threading.Event()
        self._closed = False

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((bind_host, 0))
        self.sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._run, name=f"lwm2m-{endpoint}", daemon=True)
        self._thread.start()

    # ---- lifecycle --------------------------------------------------------------------------

    @property
    def address(self):
        return self.sock.getsockname()

    @property
    def port(self):
        return self.address[1]

    def close(self):
        """Stops the thread (without deregistering) and closes the socket."""
        if self._closed:
            return
        self._closed = True
        self._awake.set()
        self._thread.join(timeout=5)
        with self._lock:
            for exchange in self._exchanges.values():
                exchange.failed = True
                exchange.done.set()
            self._exchanges.clear()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- registration interface (TS 1.0 §5.3) -----------------------------------------------

    def object_links(self):
        """The registration payload (CoRE link format): every instance, or the bare object when
        it has none, under the alternate path when there is one."""
        if self.object_links_override is not None:
            return self.object_links_override
        base = "".join(f"/{segment}" for segment in self.prefix)
        links = [f'<{base}>;rt="oma.lwm2m"'] if self.prefix else []
        with self._lock:
            for object_id in sorted(self.values):
                instances = sorted(self.values[object_id])
                if instances:
                    links += [f"<{base}/{object_id}/{instance}>" for instance in instances]
                else:
                    links.append(f"<{base}/{object_id}>")
        return ",".join(links)

    def register(self, objects=None, extra_query=(), block1_size=None):
        """POST /rd?ep=&lt=&lwm2m=&b= with the object links (or `objects`, exact text), in
        Block1 blocks of block1_size when given (RFC 7959 §2.5). Returns the (last) response
        Message; on 2.01 keeps its Location-Path for update/deregister. TimeoutError when the
        server never answers (after MAX_RETRANSMIT retransmissions)."""
        query = [f"ep={self.endpoint}", f"lt={self.lifetime}", f"lwm2m={self.version}",
                 f"b={self.binding}", *extra_query]
        payload = self.object_links() if objects is None else objects
        if block1_size is None:
            response = self.request(POST, ["rd"], query, payload.encode(), LINK_FORMAT)
        else:
            response = self.request_blockwise(POST, ["rd"], query, payload.encode(),
                                              LINK_FORMAT, block1_size)[-1]
        if response.code == CREATED:
            self.location = [value.decode() for number, value in response.options
                             if number == LOCATION_PATH]
        return response

    def update(self, lifetime=None, binding=None, objects=None, extra_query=(), block1_size=None):
        """POST /rd/<id> with lt / b when given and a payload when `objects` is True (the current
        object links) or a string (exact text), in Block1 blocks of block1_size when given.
        Returns the (last) response Message."""
        if self.location is None:
            raise RuntimeError("not registered")
        query = []
        with self._lock:
            if lifetime is not None:
                self.lifetime = lifetime
                self.values[1][0][1] = lifetime
                query.append(f"lt={lifetime}")
            if binding is not None:
                self.binding = binding
                self.values[1][0][7] = binding
                query.append(f"b={binding}")
        query += list(extra_query)
        payload = b""
        if objects is True:
            payload = self.object_links().encode()
        elif objects is not None:
            payload = objects.encode()
        if block1_size is not None:
            return self.request_blockwise(POST, self.location, query, payload,
                                          LINK_FORMAT if payload else None, block1_size)[-1]
        return self.request(POST, self.location, query, payload,
                            LINK_FORMAT if payload else None)

    def deregister(self):
        """DELETE /rd/<id>; returns the response Message and forgets the location."""
        if self.location is None:
            raise RuntimeError("not registered")
        response = self.request(DELETE, self.location)
        self.location = None
        return response

    def request_blockwise(self, method, path_segments, query, payload, content_format,
                          block_size, order=None, size1=None):
        """Sends `payload` in Block1 blocks of block_size (RFC 7959 §2.5), one CON request each,
        and returns every response Message. Stops at the first response that is not 2.31
        Continue. `order` (block numbers to send, default all in order) lets a test leave a gap;
        size1 adds a Size1 option to the first block."""
        szx = block_szx(block_size)
        count = max(1, -(-len(payload) // block_size))
        responses = []
        for num in (range(count) if order is None else order):
            more = num + 1 < count
            options = [(BLOCK1, block_value(num, more, szx))]
            if size1 is not None and num == 0:
                options.append((SIZE1, uint(size1)))
            chunk = payload[num * block_size:(num + 1) * block_size]
            response = self.request(method, path_segments, query, chunk, content_format,
                                    extra_options=options)
            responses.append(response)
            if response.code != CONTINUE:
                break
        if responses and responses[-1].code == CREATED and method == POST and \
                list(path_segments) == ["rd"]:
            self.location = [value.decode() for number, value in responses[-1].options
                             if number == LOCATION_PATH]
        return responses

    def request(self, method, path_segments, query=(), payload=b"", content_format=None,
                extra_options=()):
        """Sends one CON request to the server, retransmitting it (RFC 7252 §4.2), and waits for
        its response (piggybacked, or separate after an empty ACK); returns that Message (an
        RST Message if the server rejected it). TimeoutError when none comes. extra_options:
        (number, bytes) pairs added as they are."""
        if not self._awake.is_set():
            raise RuntimeError("the device is asleep")
        options = [(URI_PATH, segment.encode()) for segment in path_segments]
        options += [(URI_QUERY, item.encode()) for item in query]
        if content_format is not None:
            options.append((CONTENT_FORMAT, uint(content_format)))
        options += list(extra_options)
        token = os.urandom(4)
        mid = self._next_mid()
        datagram = encode(CON, method, mid, token, options, payload)
        exchange = self._start_exchange(mid, token, datagram, self.server, "request")
        wait = exchange.timeout * (2 ** (self.max_retransmit + 1)) + self.response_timeout + 1
        exchange.done.wait(wait)
        if not exchange.done.is_set() or exchange.failed:
            with self._lock:
                self._exchanges.pop(mid, None)
            raise TimeoutError(f"no response to {METHOD_NAMES[method]} /{'/'.join(path_segments)}")
        return exchange.response

    # ---- values and notifications -----------------------------------------------------------

    def get_value(self, path):
        path = parse_path(path) if isinstance(path, str) else tuple(path)
        with self._lock:
            node = self.values
            for part in path:
                node = node[part]
            return node

    def set_value(self, path, value, notify=False):
        """Sets /o/i/r (a dict of instances for a multiple resource) or /o/i/r/ri; with
        notify=True also notifies the observers (see notify())."""
        path = parse_path(path) if isinstance(path, str) else tuple(path)
        with self._lock:
            instance = self.values[path[0]][path[1]]
            if len(path) == 3:
                instance[path[2]] = value
            elif len(path) == 4:
                instance[path[2]][path[3]] = value
            else:
                raise ValueError("set_value needs a resource or resource instance path")
        return self.notify(path) if notify else 0

    def add_instance(self, object_id, instance_id, values=None):
        """A new instance (defaults by type, then `values`) without telling the server."""
        definition = self.definitions[object_id]
        instance = {r.id: ({} if r.multiple else TYPE_DEFAULTS[r.type])
                    for r in definition.resources.values()}
        instance.update(values or {})
        with self._lock:
            self.values.setdefault(object_id, {})[instance_id] = instance

    def notify(self, path, con=None):
        """The value at `path` changed: one notification to each observer of it or of a parent
        (CON when `con`, default notify_con), carrying the observed node in its format with the
        next Observe number. Returns how many were sent. While asleep the change is kept and
        notified by wake() after its update (queue mode), and 0 is returned."""
        path = parse_path(path) if isinstance(path, str) else tuple(path)
        with self._lock:
            if self.asleep:
                self._pending_notify.append((path, con))
                return 0
            matching = [o for o in self.observers.values() if path[:len(o.path)] == o.path]
        for observer in matching:
            self._send_notification(observer, self.notify_con if con is None else con)
        return len(matching)

    # ---- queue mode ---------------------------------------------------------------------------

    def sleep(self):
        """Stops reading the socket (and retransmitting) until wake()."""
        self._parked.clear()
        self._awake.clear()
        if threading.current_thread() is not self._thread:
            self._parked.wait(5)

    def wake(self, serve_missed=False, **update_arguments):
        """Wakes up: datagrams that arrived while asleep are dropped, as a sleeping radio would
        lose them (kept in `missed`; served instead with serve_missed=True), then a registration
        update is sent (update_arguments go to update()) while the thread serves whatever the
        server sends, then the changes notify() kept while asleep are notified. Returns the
        update's response."""
        if not serve_missed and self.asleep:
            self.sock.settimeout(0)
            try:
                while True:
                    data, peer = self.sock.recvfrom(65536)
                    with self._lock:
                        self.missed.append((parse_datagram(data) or data, peer))
            except (BlockingIOError, socket.timeout):
                pass
            finally:
                self.sock.settimeout(0.05)
        self._parked.clear()
        self._awake.set()
        response = self.update(**update_arguments)
        with self._lock:
            pending, self._pending_notify = self._pending_notify, []
        for path, con in pending:
            self.notify(path, con)
        return response

    @property
    def asleep(self):
        return not self._awake.is_set()

    # ---- waiting helpers --------------------------------------------------------------------

    def wait_for_request(self, method=None, path=None, predicate=None, timeout=10.0):
        """The first recorded request matching method ("GET" or a code), path and predicate,
        waiting up to `timeout`; TimeoutError otherwise."""
        if isinstance(method, str):
            method = {v: k for k, v in METHOD_NAMES.items()}[method]

        def matches(request):
            return ((method is None or request.method == method)
                    and (path is None or request.path == path)
                    and (predicate is None or predicate(request)))

        return self._wait(lambda: next((r for r in self.requests if matches(r)), None), timeout,
                          f"no {method} {path} request (got {self.requests})")

    def wait_until(self, condition, timeout=10.0):
        """Waits until condition() (evaluated under the device lock) is truthy; returns it."""
        return self._wait(condition, timeout, "condition not met")

    def _wait(self, probe, timeout, message):
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = probe()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(message)
                self._changed.wait(min(remaining, 0.1))

    # ---- the thread ---------------------------------------------------------------------------

    def _run(self):
        while not self._closed:
            if not self._awake.is_set():
                self._parked.set()
                self._awake.wait(0.05)
                continue
            try:
                self._retransmit_due()
                try:
                    data, peer = self.sock.recvfrom(65536)
                except (socket.timeout, BlockingIOError):
                    continue
                self._on_datagram(data, peer)
            except OSError as error:
                if self._closed:
                    return
                log.warning("socket error: %s", error)
                time.sleep(0.01)
            except Exception:  # never let the thread die
                log.exception("lwm2m device thread")
                with self._lock:
                    self.errors.append(traceback.format_exc())

    def _next_mid(self):
        with self._lock:
            self._mid = (self._mid + 1) & 0xFFFF
            return self._mid

    def _send(self, datagram, peer):
        try:
            self.sock.sendto(datagram, peer)
        except OSError as error:
            log.warning("send to %s failed: %s", peer, error)

    def _start_exchange(self, mid, token, datagram, peer, kind, observer=None):
        timeout = self.ack_timeout * random.uniform(1.0, self.ack_random_factor)
        exchange = _Exchange(mid, token, datagram, peer, timeout, time.monotonic() + timeout,
                             kind, observer)
        with self._lock:
            self._exchanges[mid] = exchange
        self._send(datagram, peer)
        return exchange

    def _retransmit_due(self):
        now = time.monotonic()
        with self._lock:
            due = [e for e in self._exchanges.values() if not e.acked and e.next_at <= now]
        for exchange in due:
            if exchange.retransmissions >= self.max_retransmit:
                log.info("giving up on CON mid %d", exchange.mid)
                self._finish(exchange, None, failed=True)
                continue
            exchange.retransmissions += 1
            exchange.timeout *= 2
            exchange.next_at = now + exchange.timeout
            self._send(exchange.datagram, exchange.peer)

    def _finish(self, exchange, response, failed=False):
        with self._changed:
            self._exchanges.pop(exchange.mid, None)
            exchange.response, exchange.failed = response, failed
            if exchange.kind == "request" and not failed:
                self._answered_tokens = self._answered_tokens[-63:] + [exchange.token]
            if exchange.observer is not None and (failed or (response and response.type == RST)):
                self._drop_observer(exchange.observer)  # RFC 7641 §4.5 / §3.6
            self._changed.notify_all()
        exchange.done.set()

    def _drop_observer(self, observer):
        with self._changed:
            if self.observers.get((observer.peer, observer.token)) is observer:
                del self.observers[(observer.peer, observer.token)]
            self._changed.notify_all()

    def _on_datagram(self, data, peer):
        message = parse_datagram(data)
        if message is None:
            with self._changed:
                self.garbage.append((bytes(data), peer))
                self._changed.notify_all()
            if len(data) >= 4 and data[0] >> 6 == 1 and data[0] >> 4 & 3 == CON:
                self._send(encode(RST, 0, int.from_bytes(data[2:4], "big")), peer)  # §4.2
            return
        if message.type in (ACK, RST):
            self._on_ack_or_rst(message)
        elif message.code == 0:  # CoAP ping (§4.3): RST; an empty NON is ignored
            if message.type == CON:
                self._send(encode(RST, 0, message.mid), peer)
        elif message.code >= 0x40:
            self._on_separate_response(message, peer)
        else:
            self._on_request(message, peer)

    def _on_ack_or_rst(self, message):
        with self._lock:
            exchange = self._exchanges.get(message.mid)
            observer = self._non_notifications.pop(message.mid, None)
        if message.type == RST:
            if exchange is not None:
                self._finish(exchange, message)
            elif observer is not None:
                self._drop_observer(observer)
            return
        if exchange is None:
            return  # late or duplicated ACK
        if message.code == 0:
            if exchange.kind == "notification":
                self._finish(exchange, message)
            else:
                exchange.acked = True  # a separate response follows (§5.2.2)
            return
        if message.token != exchange.token:
            log.warning("ACK mid %d with a foreign token ignored", message.mid)
            return
        self._finish(exchange, message)

    def _on_separate_response(self, message, peer):
        with self._lock:
            exchange = next((e for e in self._exchanges.values()
                             if e.kind == "request" and e.token == message.token), None)
        if message.type == CON:  # a copy of an answered one is acknowledged again
            known = exchange is not None or message.token in self._answered_tokens
            self._send(encode(ACK if known else RST, 0, message.mid), peer)
        if exchange is not None:
            self._finish(exchange, message)

    def _on_request(self, message, peer):
        key = (peer, message.mid)
        now = time.monotonic()
        with self._lock:
            previous = self._recent.get(key)
        # A duplicate carries the same Message ID (§4.5) within EXCHANGE_LIFETIME; the token must
        # match too, so a restarted server reusing a Message ID is not mistaken for one.
        seen = previous is not None and previous[0] == message.token and \
            now - previous[1] < self.exchange_lifetime
        cached = previous[2] if seen else None
        record = Request(
            type=message.type, method=message.code,
            path="/" + "/".join(v.decode(errors="replace") for n, v in message.options
                                if n == URI_PATH),
            query=[v.decode(errors="replace") for n, v in message.options if n == URI_QUERY],
            content_format=_uint_option(message, CONTENT_FORMAT),
            accept=_uint_option(message, ACCEPT), payload=message.payload,
            observe=message.observe(), token=message.token, mid=message.mid, peer=peer)
        if seen:  # §4.5: the same answer again for a CON, nothing for a NON
            with self._changed:
                self.duplicates.append(record)
                self._changed.notify_all()
            if cached is not None:
                self._send(cached, peer)
            return
        after = []
        last_block1 = None
        try:
            message, last_block1 = self._block1(message, peer)
            record.payload = message.payload
            code_, options, payload = self._serve(message, peer, record, after)
        except _Reply as reply:
            code_, options, payload = reply.code, reply.options, reply.payload
        except Exception:
            log.exception("serving %r", record)
            with self._lock:
                self.errors.append(traceback.format_exc())
            code_, options, payload = INTERNAL_SERVER_ERROR, [], b""
        if last_block1 is not None and code_ >> 5 == 2:
            options = list(options) + [(BLOCK1, block_value(*last_block1))]
        if message.code == GET and code_ == CONTENT:
            code_, options, payload = self._block2(message.option(BLOCK2), options, payload)
        if message.type == CON:
            response = encode(ACK, code_, message.mid, message.token, options, payload)
        else:
            response = encode(NON, code_, self._next_mid(), message.token, options, payload)
        record.response_code, record.response_payload = code_, payload
        with self._changed:
            self._recent.pop(key, None)
            self._recent[key] = (message.token, now, response if message.type == CON else None)
            while len(self._recent) > 512:
                del self._recent[next(iter(self._recent))]
            self.requests.append(record)
            self._changed.notify_all()
        self._send(response, peer)
        for action in after:
            action()

    # ---- device management and information reporting (TS 1.0 §5.4, §5.5) -------------------

    def _serve(self, message, peer, record, after):
        for number, value in message.options:
            if number & 1 and number not in (URI_HOST, URI_PORT, URI_PATH, URI_QUERY, ACCEPT,
                                              BLOCK1, BLOCK2):
                raise _Reply(BAD_OPTION)  # unrecognised critical option (§5.4.1)
            if number == BLOCK1 and int.from_bytes(value, "big") >> 3:
                raise _Reply(BAD_OPTION)  # only a first block is understood (no Block1 writes)
            if number == BLOCK2 and parse_block(value) is None:
                raise _Reply(BAD_OPTION)
        if message.code not in METHOD_NAMES:
            raise _Reply(METHOD_NOT_ALLOWED)
        path = self._target(message)
        method, cf, accept = message.code, record.content_format, record.accept
        if method == GET:
            if accept == LINK_FORMAT:
                return self._discover(path)
            if record.observe == 0:
                return self._observe(message, peer, path, accept)
            if record.observe == 1:
                with self._changed:
                    self.observers.pop((peer, message.token), None)
                    self._changed.notify_all()
            return self._read(path, accept)
        if method == PUT:
            if cf is None and not message.payload:
                return self._write_attributes(path, record.query)
            return self._write(path, cf, message.payload, replace=True)
        if method == POST:
            if len(path) == 1:
                return self._create(path, cf, message.payload)
            if len(path) == 3:
                definition = self._resource(path)
                if "E" in definition.ops or cf is None:
                    return self._execute(path, definition, cf, message.payload, after)
            return self._write(path, cf, message.payload, replace=False)
        return self._delete(path)

    def _block1(self, message, peer):
        """A request whose payload comes in Block1 blocks (RFC 7959 §2.5): 2.31 Continue (with a
        smaller SZX when block_size asks for it) until the last block, then the request with
        the whole payload and the Block1 (num, False, szx) its answer carries. Unchanged (and
        None) without Block1 or for a lone NUM 0 M=0 block."""
        value = message.option(BLOCK1)
        if value is None:
            return message, None
        block = parse_block(value)
        if block is None:
            raise _Reply(BAD_OPTION)
        num, more, szx = block
        if num == 0 and not more:
            return message, None
        path = tuple(v for n, v in message.options if n == URI_PATH)
        key = (peer, path)
        with self._lock:
            body = self._uploads.pop(key, None) if num else b""
            if body is None or len(body) != num * (16 << szx) or \
                    (more and len(message.payload) != 16 << szx):
                raise _Reply(REQUEST_ENTITY_INCOMPLETE)
            body += message.payload
            if more:
                self._uploads[key] = body
                while len(self._uploads) > 64:
                    del self._uploads[next(iter(self._uploads))]
        if more:
            wanted = szx if self.block_size is None else min(szx, block_szx(self.block_size))
            raise _Reply(CONTINUE, options=[(BLOCK1, block_value(num, True, wanted))])
        whole = copy.copy(message)
        whole.options = [(n, v) for n, v in message.options if n != BLOCK1]
        whole.payload = body
        return whole, (num, False, szx)

    def _block2(self, requested, options, payload):
        """A GET answer as its Block2 block (RFC 7959 §2.4): the block the server asked for, or
        the first one when the answer is bigger than block_size; unchanged otherwise."""
        if self.block_size is None and requested is None:
            return CONTENT, options, payload
        size, num = self.block_size or 1024, 0
        if requested is not None:
            num, _, szx = parse_block(requested)
            size = min(size, 16 << szx)
        if requested is None and len(payload) <= size:
            return CONTENT, options, payload
        if num and num * size >= len(payload):
            return BAD_OPTION, [], b""
        chunk = payload[num * size:(num + 1) * size]
        more, szx = (num + 1) * size < len(payload), block_szx(size)
        if self.block2_hook is not None:
            num, more, szx, chunk = self.block2_hook(num, more, szx, chunk)
        return CONTENT, options + [(BLOCK2, block_value(num, more, szx))], chunk

    def _target(self, message):
        """The LwM2M path of a request (alternate path removed); 4.04 when it is not one."""
        segments = [v.decode(errors="replace") for n, v in message.options if n == URI_PATH]
        if tuple(segments[:len(self.prefix)]) != self.prefix:
            raise _Reply(NOT_FOUND)
        segments = segments[len(self.prefix):]
        if not 1 <= len(segments) <= 4 or not all(re.fullmatch(r"[0-9]{1,5}", s)
                                                  for s in segments):
            raise _Reply(NOT_FOUND)
        path = tuple(int(s) for s in segments)
        if any(part > 0xFFFF for part in path):
            raise _Reply(NOT_FOUND)
        return path

    def _resource(self, path):
        self._check_exists(path[:3])
        return self.definitions[path[0]].resources[path[2]]

    def _check_exists(self, path):
        with self._lock:
            node = self.values
            definition = None
            for depth, part in enumerate(path):
                if not isinstance(node, dict) or part not in node:
                    raise _Reply(NOT_FOUND)
                if depth == 2:
                    definition = self.definitions[path[0]].resources[part]
                    if len(path) == 4 and not definition.multiple:
                        raise _Reply(NOT_FOUND)
                node = node[part]

    # Read ---------------------------------------------------------------------------------

    def _read(self, path, accept):
        fmt = self._read_format(path, accept)
        return CONTENT, [(CONTENT_FORMAT, uint(fmt))], self._encode(path, fmt)

    def _read_format(self, path, accept):
        self._check_exists(path)
        single, definition = False, None
        if len(path) >= 3:
            definition = self._resource(path)
            if "R" not in definition.ops:
                raise _Reply(METHOD_NOT_ALLOWED)
            single = len(path) == 4 or not definition.multiple

        def usable(fmt):
            if fmt in (TLV, OMA_JSON, SENML_JSON, SENML_CBOR):
                return True
            if fmt == TEXT:
                return single
            return fmt == OPAQUE and single and definition.type == "Opaque"

        if not self.has_tlv and accept in (None, TLV, OMA_JSON):
            raise _Reply(INTERNAL_SERVER_ERROR)  # nothing but TLV to fall back to
        if accept is not None:
            if not usable(accept):
                raise _Reply(NOT_ACCEPTABLE)
            return accept
        if self.read_format is not None and usable(self.read_format):
            return self.read_format
        if single:
            return OPAQUE if definition.type == "Opaque" else TEXT
        return TLV

    def _leaves(self, path):
        """(full path, ResourceDef, value) of each readable resource (instance) under path."""
        object_id = path[0]
        definition = self.definitions[object_id]
        instances = self.values[object_id]
        out = []
        for instance_id in ([path[1]] if len(path) > 1 else sorted(instances)):
            instance = instances[instance_id]
            for resource_id in ([path[2]] if len(path) > 2 else sorted(instance)):
                resource = definition.resources[resource_id]
                if "R" not in resource.ops:
                    continue
                value = instance[resource_id]
                if resource.multiple:
                    for index in ([path[3]] if len(path) > 3 else sorted(value)):
                        out.append(((object_id, instance_id, resource_id, index), resource,
                                    value[index]))
                else:
                    out.append(((object_id, instance_id, resource_id), resource, value))
        return out

    def _encode(self, path, fmt):
        with self._lock:
            if fmt == TLV:
                return self._tlv(path)
            leaves = self._leaves(path)
        if fmt in (TEXT, OPAQUE):
            (_, resource, value), = leaves
            return text_value(resource.type, value) if fmt == TEXT else bytes(value)
        single = len(leaves) == 1 and len(leaves[0][0]) == len(path)
        base = path_text(path) + ("" if single else "/")
        records = []
        for full_path, resource, value in leaves:
            record = {}
            name = "/".join(str(part) for part in full_path[len(path):])
            if name:
                record["n"] = name
            key, json_value = _json_field(resource.type, value, fmt in (SENML_JSON, SENML_CBOR))
            if fmt == SENML_CBOR and key == "vd":
                json_value = bytes(value)  # a byte string in CBOR, not base64url text
            record[key] = json_value
            records.append(record)
        if fmt in (SENML_JSON, SENML_CBOR):
            if records:
                records[0] = {"bn": base, **records[0]}
            else:
                records = [{"bn": base}]
            document = records
        else:
            document = {"bn": base, "e": records}
        if fmt == SENML_CBOR:
            return senml_cbor(document)
        return json.dumps(document, separators=(",", ":")).encode()

    def _tlv(self, path):
        definition = self.definitions[path[0]]

        def resource_tlv(resource, value):
            if resource.multiple:
                return tlv_entry(MULTIPLE_RESOURCE, resource.id, b"".join(
                    tlv_entry(RESOURCE_INSTANCE, index, tlv_value(resource.type, value[index]))
                    for index in sorted(value)))
            return tlv_entry(RESOURCE, resource.id, tlv_value(resource.type, value))

        def instance_body(instance):
            return b"".join(resource_tlv(definition.resources[r], instance[r])
                            for r in sorted(instance) if "R" in definition.resources[r].ops)

        instances = self.values[path[0]]
        if len(path) == 1:
            return b"".join(tlv_entry(OBJECT_INSTANCE, i, instance_body(instances[i]))
                            for i in sorted(instances))
        if len(path) == 2:
            return instance_body(instances[path[1]])
        resource = definition.resources[path[2]]
        value = instances[path[1]][path[2]]
        if len(path) == 3:
            return resource_tlv(resource, value)
        return tlv_entry(RESOURCE_INSTANCE, path[3], tlv_value(resource.type, value[path[3]]))

    # Observe (RFC 7641, TS 1.0 §5.5) --------------------------------------------------------

    def _observe(self, message, peer, path, accept):
        code_, options, payload = self._read(path, accept)
        fmt = int.from_bytes(options[0][1], "big")
        observer = Observer(peer, message.token, path, fmt)
        with self._changed:
            self.observers[(peer, message.token)] = observer
            self._changed.notify_all()
        return code_, options + [(OBSERVE, uint(observer.sequence))], payload

    def _send_notification(self, observer, con):
        try:
            code_, options, payload = self._read(observer.path, observer.format)
            with self._lock:
                observer.sequence = (observer.sequence + 1) & 0xFFFFFF
                sequence = observer.sequence
            options = options + [(OBSERVE, uint(sequence))]
            # A big value goes as its first block; the server GETs the rest (RFC 7959 §2.6).
            code_, options, payload = self._block2(None, options, payload)
        except _Reply as reply:  # e.g. the instance was deleted: a final error notification
            code_, options, payload, sequence = reply.code, [], reply.payload, None
            self._drop_observer(observer)
        mid = self._next_mid()
        type_ = CON if con else NON
        datagram = encode(type_, code_, mid, observer.token, options, payload)
        with self._changed:
            self.notifications.append(Notification(path_text(observer.path), observer.token,
                                                   sequence, type_, mid, code_, payload))
            if type_ == NON:
                self._non_notifications[mid] = observer
                while len(self._non_notifications) > 256:
                    del self._non_notifications[next(iter(self._non_notifications))]
            self._changed.notify_all()
        if type_ == CON:
            self._start_exchange(mid, observer.token, datagram, observer.peer, "notification",
                                 observer)
        else:
            self._send(datagram, observer.peer)

    # Discover and Write-Attributes (TS 1.0 §5.4.2, §5.4.4) ----------------------------------

    def _discover(self, path):
        self._check_exists(path)
        base = "".join(f"/{segment}" for segment in self.prefix)

        def link(target, resource=None):
            parts = [f"<{base}{path_text(target)}>"]
            if resource is not None and resource.multiple and len(target) == 3:
                parts.append(f"dim={len(self.values[target[0]][target[1]][target[2]])}")
            attributes = self.attributes.get(target, {})
            parts += [f"{name}={attributes[name]}" for name in ATTRIBUTES if name in attributes]
            return ";".join(parts)

        definition = self.definitions[path[0]]
        links = []
        with self._lock:
            if len(path) == 1:
                links.append(link(path))
            for instance_id in ([path[1]] if len(path) > 1 else sorted(self.values[path[0]])):
                instance = self.values[path[0]][instance_id]
                if len(path) <= 2:
                    links.append(link((path[0], instance_id)))
                    links += [link((path[0], instance_id, r), definition.resources[r])
                              for r in sorted(instance)]
            if len(path) >= 3:
                links.append(link(path, definition.resources[path[2]]))
        return CONTENT, [(CONTENT_FORMAT, uint(LINK_FORMAT))], ",".join(links).encode()

    def _write_attributes(self, path, query):
        self._check_exists(path)
        if not query:
            raise _Reply(BAD_REQUEST, "no attributes")
        resource = self._resource(path) if len(path) >= 3 else None
        changes = []
        for item in query:
            name, has_value, value = item.partition("=")
            if name not in ATTRIBUTES:
                raise _Reply(BAD_REQUEST, f"unknown attribute {name}")
            if has_value:
                if name in ("gt", "lt", "st"):
                    if resource is None or resource.type not in NUMERIC_TYPES:
                        raise _Reply(BAD_REQUEST, f"{name} needs a numeric resource")
                    if not re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", value) or \
                            (name == "st" and float(value) < 0):
                        raise _Reply(BAD_REQUEST, f"bad {name}")
                elif not re.fullmatch(r"[0-9]+", value):
                    raise _Reply(BAD_REQUEST, f"bad {name}")
            changes.append((name, value if has_value else None))
        with self._lock:
            attributes = self.attributes.setdefault(path, {})
            for name, value in changes:
                if value is None:
                    attributes.pop(name, None)
                else:
                    attributes[name] = value
            if not attributes:
                del self.attributes[path]
        return CHANGED, [], b""

    # Write (TS 1.0 §5.4.3) ------------------------------------------------------------------

    def _write(self, path, cf, payload, replace):
        self._check_exists(path)
        if len(path) == 1:
            raise _Reply(METHOD_NOT_ALLOWED)
        if cf is None:
            raise _Reply(BAD_REQUEST, "no Content-Format")
        if cf not in self._write_formats():
            raise _Reply(UNSUPPORTED_CONTENT_FORMAT)
        definition = self.definitions[path[0]]
        if len(path) >= 3 and "W" not in definition.resources[path[2]].ops:
            raise _Reply(METHOD_NOT_ALLOWED, f"resource {path[2]} is not writable")
        try:
            if cf in (SENML_JSON, SENML_CBOR):
                instances = self._senml_changes(path, cf, payload, NOT_FOUND)
                changes = instances.get(path[1], {})
                if len(path) == 4:
                    replace = False  # one instance of the resource, the others stay
            elif len(path) == 2:
                if cf != TLV:
                    raise _Reply(UNSUPPORTED_CONTENT_FORMAT)
                entries = tlv_decode(payload)
                if len(entries) == 1 and entries[0][0] == OBJECT_INSTANCE:
                    if entries[0][1] != path[1]:
                        raise _Reply(BAD_REQUEST, "instance id differs from the path")
                    entries = tlv_decode(entries[0][2])
                changes = self._resources_from_tlv(definition, entries, NOT_FOUND)
            elif len(path) == 3:
                resource = definition.resources[path[2]]
                changes = {path[2]: self._resource_value(resource, cf, payload)}
            else:
                resource = definition.resources[path[2]]
                if cf == TLV:
                    entries = tlv_decode(payload)
                    if len(entries) != 1 or entries[0][:2] != (RESOURCE_INSTANCE, path[3]):
                        raise _Reply(BAD_REQUEST, "expected one resource instance TLV")
                    value = value_from_tlv(resource.type, entries[0][2])
                else:
                    value = self._single_value(resource, cf, payload)
                changes = {path[2]: {path[3]: value}}
                replace = False  # one instance of the resource, the others stay
        except ValueError as error:
            raise _Reply(BAD_REQUEST, str(error)) from None
        for resource_id in changes:
            if "W" not in definition.resources[resource_id].ops:
                raise _Reply(METHOD_NOT_ALLOWED, f"resource {resource_id} is not writable")
        with self._lock:
            instance = self.values[path[0]][path[1]]
            for resource_id, value in changes.items():
                if definition.resources[resource_id].multiple and not replace:
                    instance[resource_id].update(value)
                else:
                    instance[resource_id] = value
        return CHANGED, [], b""

    def _write_formats(self):
        return (TEXT, OPAQUE, SENML_JSON, SENML_CBOR) + ((TLV,) if self.has_tlv else ())

    def _senml_changes(self, path, cf, payload, unknown_code):
        """{instance id: {resource id: value, or {resource instance: value}}} from a SenML
        pack whose records all lie under path."""
        try:
            values = senml_values(cf, payload, self.definitions)
        except ValueError as error:
            raise _Reply(unknown_code if "no resource" in str(error) else BAD_REQUEST,
                         str(error)) from None
        if not values:
            raise _Reply(BAD_REQUEST, "an empty SenML pack")
        definition = self.definitions[path[0]]
        instances = {}
        for full_path, value in values.items():
            if full_path[:len(path)] != path:
                raise _Reply(BAD_REQUEST, f"{path_text(full_path)} is not under the target")
            resource = definition.resources[full_path[2]]
            changes = instances.setdefault(full_path[1], {})
            if len(full_path) == 4 and resource.multiple:
                changes.setdefault(full_path[2], {})[full_path[3]] = value
            elif len(full_path) == 3 and not resource.multiple:
                changes[full_path[2]] = value
            else:
                raise _Reply(BAD_REQUEST, f"{path_text(full_path)} does not fit resource "
                                          f"{resource.id}")
        return instances

    def _resources_from_tlv(self, definition, entries, unknown_code):
        """{resource id: value} from resource / multiple resource TLVs."""
        changes = {}
        for kind, resource_id, raw in entries:
            if kind not in (RESOURCE, MULTIPLE_RESOURCE):
                raise _Reply(BAD_REQUEST, "expected resource TLVs")
            resource = definition.resources.get(resource_id)
            if resource is None:
                raise _Reply(unknown_code, f"no resource {resource_id}")
            changes[resource_id] = self._value_from_tlv_entry(resource, kind, resource_id, raw)
        return changes

    def _value_from_tlv_entry(self, resource, kind, resource_id, raw):
        if resource.multiple != (kind == MULTIPLE_RESOURCE) or resource.type == "None":
            raise ValueError(f"wrong TLV kind for resource {resource_id}")
        if kind == RESOURCE:
            return value_from_tlv(resource.type, raw)
        values = {}
        for inner_kind, index, inner in tlv_decode(raw):
            if inner_kind != RESOURCE_INSTANCE:
                raise ValueError("expected resource instance TLVs")
            values[index] = value_from_tlv(resource.type, inner)
        return values

    def _resource_value(self, resource, cf, payload):
        """A whole resource's new value from a write to /o/i/r."""
        if cf == TLV:
            entries = tlv_decode(payload)
            if resource.multiple and entries and all(e[0] == RESOURCE_INSTANCE for e in entries):
                return {index: value_from_tlv(resource.type, raw) for _, index, raw in entries}
            if len(entries) != 1 or entries[0][1] != resource.id:
                raise ValueError("expected one TLV for the resource")
            return self._value_from_tlv_entry(resource, entries[0][0], resource.id,
                                              entries[0][2])
        if resource.multiple:
            raise _Reply(UNSUPPORTED_CONTENT_FORMAT, "a multiple resource needs TLV")
        return self._single_value(resource, cf, payload)

    @staticmethod
    def _single_value(resource, cf, payload):
        if cf == OPAQUE:
            if resource.type != "Opaque":
                raise _Reply(UNSUPPORTED_CONTENT_FORMAT, "opaque is only for Opaque resources")
            return bytes(payload)
        return value_from_text(resource.type, payload)

    # Execute, Create, Delete (TS 1.0 §5.4.5 - §5.4.7) ---------------------------------------

    def _execute(self, path, resource, cf, payload, after):
        if "E" not in resource.ops:
            raise _Reply(METHOD_NOT_ALLOWED)
        if cf not in (None, TEXT):
            raise _Reply(UNSUPPORTED_CONTENT_FORMAT)
        try:
            arguments = parse_execute_arguments(payload)
        except ValueError as error:
            raise _Reply(BAD_REQUEST, str(error)) from None
        with self._changed:
            self.executions.append(Execution(path_text(path), arguments, payload))
            self._changed.notify_all()
        if path[0] == 1 and path[2] == 8 and self.location is not None:
            after.append(self._triggered_update)  # Registration Update Trigger
        return CHANGED, [], b""

    def _triggered_update(self):
        def run():
            try:
                self.update()
            except Exception as error:
                log.warning("triggered update failed: %s", error)
        threading.Thread(target=run, daemon=True).start()

    def _create(self, path, cf, payload):
        definition = self.definitions.get(path[0])
        if definition is None:
            raise _Reply(NOT_FOUND)
        if not definition.creatable:
            raise _Reply(METHOD_NOT_ALLOWED)
        if cf is None:
            raise _Reply(BAD_REQUEST, "no Content-Format")
        if cf not in self._write_formats() or cf in (TEXT, OPAQUE):
            raise _Reply(UNSUPPORTED_CONTENT_FORMAT)
        try:
            if cf in (SENML_JSON, SENML_CBOR):
                instances = self._senml_changes(path, cf, payload, BAD_REQUEST)
                if len(instances) != 1:
                    raise _Reply(BAD_REQUEST, "one instance per Create")
                (instance_id, values), = instances.items()
                return self._add_created(path, instance_id, values)
            entries = tlv_decode(payload)
            instance_id = None
            if entries and entries[0][0] == OBJECT_INSTANCE:
                if len(entries) != 1:
                    raise _Reply(BAD_REQUEST, "one instance per Create")
                instance_id = entries[0][1]
                entries = tlv_decode(entries[0][2])
            values = self._resources_from_tlv(definition, entries, BAD_REQUEST)
        except ValueError as error:
            raise _Reply(BAD_REQUEST, str(error)) from None
        return self._add_created(path, instance_id, values)

    def _add_created(self, path, instance_id, values):
        with self._lock:
            instances = self.values.setdefault(path[0], {})
            if instance_id is None:
                instance_id = next(i for i in range(0x10000) if i not in instances)
            if instance_id in instances or instance_id == 0xFFFF:
                raise _Reply(BAD_REQUEST, "instance exists")
            self.add_instance(path[0], instance_id, values)
        location = [*self.prefix, str(path[0]), str(instance_id)]
        return CREATED, [(LOCATION_PATH, segment.encode()) for segment in location], b""

    def _delete(self, path):
        self._check_exists(path)
        if len(path) != 2 or not self.definitions[path[0]].creatable:
            raise _Reply(METHOD_NOT_ALLOWED)
        with self._changed:
            del self.values[path[0]][path[1]]
            for target in [t for t in self.attributes if t[:2] == path]:
                del self.attributes[target]
            for key in [k for k, o in self.observers.items() if o.path[:2] == path]:
                del self.observers[key]
            self._changed.notify_all()
        return DELETED, [], b""


def _uint_option(message, number):
    value = message.option(number)
    return None if value is None else int.from_bytes(value, "big")
