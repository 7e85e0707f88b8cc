"""A byte-level WebSocket client (RFC 6455) for the cases real clients never produce: split and
merged MQTT packets, text and unmasked frames, pings, oversize messages, odd upgrade requests."""
import base64
import os
import socket
import struct

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 1, 2, 8, 9, 10


def frame(opcode, payload, fin=True, mask=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([bit | length])
    elif length < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class WebSocket:
    def __init__(self, port, path="/mqtt", protocols=("mqtt",), headers=None, tls_context=None,
                 host="127.0.0.1"):
        sock = socket.create_connection((host, port), timeout=10)
        if tls_context is not None:
            sock = tls_context.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n")
        self.status_line, _, rest = head.partition(b"\r\n")
        self.status = int(self.status_line.split()[1])
        self.headers = {}
        for line in rest.decode().split("\r\n"):
            if ":" in line:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()

    def _read_until(self, marker):
        while marker not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed during the upgrade")
            self.buffer += data
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read(self, n):
        while len(self.buffer) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buffer += data
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, data):
        self.sock.sendall(data)

    def send_binary(self, payload):
        self.send(frame(OP_BINARY, payload))

    def recv_frame(self, timeout=10):
        """(fin, opcode, payload) of the next server frame; server frames are never masked."""
        self.sock.settimeout(timeout)
        first, second = self._read(2)
        assert not second & 0x80, "a server frame must not be masked"
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        return bool(first & 0x80), first & 0x0F, self._read(length)

    def recv_binary(self, n, timeout=10):
        """Exactly n payload bytes from binary frames (MQTT packets may span frames)."""
        data = b""
        while len(data) < n:
            fin, opcode, payload = self.recv_frame(timeout)
            assert opcode in (OP_BINARY, 0), f"expected binary, got opcode {opcode}"
            data += payload
        return data

    def expect_close(self, timeout=10):
        """The close code of the server's close frame (skipping data frames before it)."""
        while True:
            fin, opcode, payload = self.recv_frame(timeout)
            if opcode == OP_CLOSE:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
