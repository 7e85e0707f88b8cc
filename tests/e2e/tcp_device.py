"""A device speaking the TCP gateway's private framing (seed: "TCP Protocol"), for tests."""
import struct

from mqtt_raw import FramedSocket

CONNECT, CONNACK, DATATRANS, PING, PONG, DISCONNECT = 1, 2, 3, 4, 5, 6


def string(value):
    data = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(data)) + data


def connect_frame(client_id, keepalive=60, username=None, password=None, version=1):
    payload = bytes([keepalive]) + string(client_id)
    if username is not None or password is not None:
        payload += string(username or "")
    if password is not None:
        payload += string(password)
    return bytes([(CONNECT << 4) | version]) + struct.pack("!H", len(payload)) + payload


def datatrans_frame(data):
    data = data.encode() if isinstance(data, str) else data
    return bytes([DATATRANS << 4]) + struct.pack("!H", len(data)) + data


class Device(FramedSocket):
    """recv() gives (type, flags, payload) of the next frame."""

    def _parse(self):
        if not self.buffer:
            return None
        kind, flags = self.buffer[0] >> 4, self.buffer[0] & 0x0F
        if kind in (PONG,):
            self.buffer = self.buffer[1:]
            return kind, flags, b""
        if len(self.buffer) < 3:
            return None
        length = struct.unpack("!H", self.buffer[1:3])[0]
        if len(self.buffer) < 3 + length:
            return None
        payload = self.buffer[3:3 + length]
        self.buffer = self.buffer[3 + length:]
        return kind, flags, payload

    def connect(self, client_id, **kwargs):
        self.send(connect_frame(client_id, **kwargs))
        kind, code, message = self.recv()
        assert kind == CONNACK, (kind, code, message)
        return code, message
