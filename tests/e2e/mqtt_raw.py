"""A small MQTT 3.1/3.1.1/5.0 client over a raw socket, for tests that need byte-level control:
hand-made packets, not acknowledging, dropping the connection at a chosen moment."""
import socket
import ssl
import struct
import time

V31, V311, V5 = 3, 4, 5

# Property id -> wire type (MQTT 5 table 2-4).
PROPERTY_TYPES = {
    0x01: "byte", 0x02: "u32", 0x03: "str", 0x08: "str", 0x09: "bin", 0x0B: "varint",
    0x11: "u32", 0x12: "str", 0x13: "u16", 0x15: "str", 0x16: "bin", 0x17: "byte",
    0x18: "u32", 0x19: "byte", 0x1A: "str", 0x1C: "str", 0x1F: "str", 0x21: "u16",
    0x22: "u16", 0x23: "u16", 0x24: "byte", 0x25: "byte", 0x26: "pair", 0x27: "u32",
    0x28: "byte", 0x29: "byte", 0x2A: "byte",
}
PAYLOAD_FORMAT, MESSAGE_EXPIRY, CONTENT_TYPE, RESPONSE_TOPIC, CORRELATION_DATA = 1, 2, 3, 8, 9
SUBSCRIPTION_ID, SESSION_EXPIRY, ASSIGNED_CLIENT_ID, SERVER_KEEP_ALIVE = 0x0B, 0x11, 0x12, 0x13
AUTH_METHOD, REQUEST_PROBLEM_INFO, WILL_DELAY, REASON_STRING = 0x15, 0x17, 0x18, 0x1F
RECEIVE_MAXIMUM, TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS, USER_PROPERTY = 0x21, 0x22, 0x23, 0x26
MAXIMUM_PACKET_SIZE = 0x27

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = range(8, 16)


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def string(value):
    data = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(data)) + data


def properties(props):
    """props: list of (id, value) pairs; user properties as (0x26, (name, value))."""
    body = bytearray()
    for pid, value in props or []:
        kind = PROPERTY_TYPES[pid]
        body += varint(pid)
        if kind == "byte":
            body.append(value)
        elif kind == "u16":
            body += struct.pack("!H", value)
        elif kind == "u32":
            body += struct.pack("!I", value)
        elif kind == "varint":
            body += varint(value)
        elif kind in ("str", "bin"):
            body += string(value)
        else:
            body += string(value[0]) + string(value[1])
    return varint(len(body)) + bytes(body)


def packet(first_byte, body):
    return bytes([first_byte]) + varint(len(body)) + body


def connect(client_id, version=V311, clean=True, keepalive=60, props=None, will=None,
            username=None, password=None):
    """will: dict(topic, payload, qos=0, retain=False, props=None)."""
    name = b"MQIsdp" if version == V31 else b"MQTT"
    flags = 0x02 if clean else 0
    if will:
        flags |= 0x04 | (will.get("qos", 0) << 3) | (0x20 if will.get("retain") else 0)
    if username is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    body = string(name) + bytes([version, flags]) + struct.pack("!H", keepalive)
    if version == V5:
        body += properties(props)
    body += string(client_id)
    if will:
        if version == V5:
            body += properties(will.get("props"))
        body += string(will["topic"]) + string(will["payload"])
    if username is not None:
        body += string(username)
    if password is not None:
        body += string(password)
    return packet(0x10, body)


def publish(topic, payload, qos=0, packet_id=0, retain=False, dup=False, version=V311,
            props=None):
    body = string(topic)
    if qos:
        body += struct.pack("!H", packet_id)
    if version == V5:
        body += properties(props)
    body += payload.encode() if isinstance(payload, str) else payload
    return packet(0x30 | (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0), body)


def ack(kind, packet_id, reason=None, version=V311):
    flags = 0x02 if kind == PUBREL else 0
    body = struct.pack("!H", packet_id)
    if version == V5 and reason is not None:
        body += bytes([reason])
    return packet((kind << 4) | flags, body)


def subscribe(packet_id, filters, version=V311, props=None):
    """filters: list of (filter, options byte)."""
    body = struct.pack("!H", packet_id)
    if version == V5:
        body += properties(props)
    for topic_filter, options in filters:
        body += string(topic_filter) + bytes([options])
    return packet(0x82, body)


def unsubscribe(packet_id, filters, version=V311):
    body = struct.pack("!H", packet_id)
    if version == V5:
        body += properties(None)
    for topic_filter in filters:
        body += string(topic_filter)
    return packet(0xA2, body)


def disconnect(reason=None, version=V311, props=None):
    if version == V5 and (reason is not None or props):
        return packet(0xE0, bytes([reason or 0]) + properties(props))
    return packet(0xE0, b"")


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        chunk = self.data[self.pos:self.pos + n]
        if len(chunk) != n:
            raise ValueError("truncated")
        self.pos += n
        return chunk

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("!H", self.take(2))[0]

    def u32(self):
        return struct.unpack("!I", self.take(4))[0]

    def varint(self):
        value, shift = 0, 0
        while True:
            byte = self.u8()
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    def string(self):
        return self.take(self.u16())

    def done(self):
        return self.pos >= len(self.data)

    def properties(self):
        end = self.varint() + self.pos
        props = {}
        while self.pos < end:
            pid = self.varint()
            kind = PROPERTY_TYPES[pid]
            if kind == "byte":
                value = self.u8()
            elif kind == "u16":
                value = self.u16()
            elif kind == "u32":
                value = self.u32()
            elif kind == "varint":
                value = self.varint()
            elif kind == "str":
                value = self.string().decode()
            elif kind == "bin":
                value = self.string()
            else:
                value = (self.string().decode(), self.string().decode())
            if pid in (USER_PROPERTY, SUBSCRIPTION_ID):
                props.setdefault(pid, []).append(value)
            else:
                props[pid] = value
        return props


class Packet:
    def __init__(self, first_byte, body, version):
        self.type = first_byte >> 4
        self.flags = first_byte & 0x0F
        self.body = body
        self.props = {}
        self.reason = 0
        r = Reader(body)
        if self.type == CONNACK:
            self.session_present = bool(r.u8() & 1)
            self.reason = r.u8()
            if version == V5 and not r.done():  # a refusal may come in the 3.1.1 shape
                self.props = r.properties()
        elif self.type == PUBLISH:
            self.dup = bool(self.flags & 0x08)
            self.qos = (self.flags >> 1) & 3
            self.retain = bool(self.flags & 1)
            self.topic = r.string().decode()
            self.packet_id = r.u16() if self.qos else 0
            if version == V5:
                self.props = r.properties()
            self.payload = body[r.pos:]
        elif self.type in (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, SUBACK):
            self.packet_id = r.u16()
            if self.type in (SUBACK, UNSUBACK):
                if version == V5:
                    self.props = r.properties()
                self.codes = list(body[r.pos:])
            elif version == V5 and not r.done():
                self.reason = r.u8()
                if not r.done():
                    self.props = r.properties()
        elif self.type in (DISCONNECT, AUTH) and version == V5 and not r.done():
            self.reason = r.u8()
            if not r.done():
                self.props = r.properties()

    def __repr__(self):
        return f"<packet type={self.type} flags={self.flags:#x} body={self.body[:40]!r}>"


class Closed(Exception):
    pass


class FramedSocket:
    """A client socket that reads whole frames; subclasses say what a frame is (_parse)."""

    def __init__(self, port, host="127.0.0.1", tls=None, before=b""):
        """tls: an ssl.SSLContext to talk TLS; before: bytes sent ahead of it (a PROXY header)."""
        self.sock = socket.create_connection((host, port), timeout=10)
        if before:
            self.sock.sendall(before)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, timeout=10):
        """The next frame; raises Closed when the server closed the connection."""
        deadline = time.monotonic() + timeout
        while True:
            parsed = self._parse()
            if parsed:
                return parsed
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("nothing from the server")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            except socket.timeout:
                raise TimeoutError("nothing from the server")
            if not chunk:
                raise Closed()
            self.buffer += chunk

    def _parse(self):
        raise NotImplementedError

    def wait_closed(self, timeout=10):
        """Reads until the server closes; returns the frames received before the close."""
        frames = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                frames.append(self.recv(max(0.01, deadline - time.monotonic())))
            except Closed:
                return frames

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class RawClient(FramedSocket):
    def __init__(self, port, version=V311, host="127.0.0.1", **kwargs):
        super().__init__(port, host, **kwargs)
        self.version = version

    def _parse(self):
        if len(self.buffer) < 2:
            return None
        length, shift, i = 0, 0, 1
        while True:
            if i >= len(self.buffer):
                return None
            byte = self.buffer[i]
            length |= (byte & 0x7F) << shift
            shift += 7
            i += 1
            if not byte & 0x80:
                break
        if len(self.buffer) < i + length:
            return None
        first, body = self.buffer[0], self.buffer[i:i + length]
        self.buffer = self.buffer[i + length:]
        return Packet(first, body, self.version)

    def expect(self, kind, timeout=10):
        received = self.recv(timeout)
        assert received.type == kind, f"expected packet type {kind}, got {received!r}"
        return received

    def connect(self, client_id, **kwargs):
        self.send(connect(client_id, version=self.version, **kwargs))
        return self.expect(CONNACK)

    def subscribe(self, topic_filter, qos=0, packet_id=1, options=None, props=None):
        self.send(subscribe(packet_id, [(topic_filter, qos if options is None else options)],
                            version=self.version, props=props))
        return self.expect(SUBACK)

    def publish(self, topic, payload, qos=0, packet_id=1, retain=False, dup=False, props=None):
        self.send(publish(topic, payload, qos, packet_id, retain, dup, self.version, props))
