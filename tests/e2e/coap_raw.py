"""A byte-level CoAP endpoint written from RFC 7252 / RFC 7641 for the CoAP gateway's end-to-end
tests: message encoding and parsing, one request at a time with retransmission, notifications,
and CoAP pings."""
import os
import random
import socket
import time

# RFC 7252 §3 and §12
CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT, DELETE = 1, 2, 3, 4
OBSERVE, URI_PATH, CONTENT_FORMAT, URI_QUERY = 6, 11, 12, 15


def code(text):
    """"4.04" -> 0x84"""
    major, minor = text.split(".")
    return int(major) << 5 | int(minor)


def _nibble(value):
    if value < 13:
        return value, b""
    if value < 269:
        return 13, bytes([value - 13])
    return 14, (value - 269).to_bytes(2, "big")


def encode(type_, code_, mid, token=b"", options=(), payload=b""):
    out = bytearray([0x40 | type_ << 4 | len(token), code_, mid >> 8, mid & 0xFF]) + token
    last = 0
    for number, value in sorted(options, key=lambda option: option[0]):  # stable: keeps repeats
        delta, delta_ext = _nibble(number - last)
        length, length_ext = _nibble(len(value))
        out += bytes([delta << 4 | length]) + delta_ext + length_ext + value
        last = number
    if payload:
        out += b"\xff" + payload
    return bytes(out)


class Message:
    def __init__(self, data):
        self.type = data[0] >> 4 & 3
        tkl = data[0] & 0x0F
        self.code = data[1]
        self.mid = int.from_bytes(data[2:4], "big")
        self.token = data[4:4 + tkl]
        self.options = []
        self.payload = b""
        position, number = 4 + tkl, 0
        while position < len(data):
            if data[position] == 0xFF:
                self.payload = data[position + 1:]
                break
            delta, length = data[position] >> 4, data[position] & 0x0F
            position += 1
            values = []
            for nibble in (delta, length):
                if nibble == 13:
                    values.append(data[position] + 13)
                    position += 1
                elif nibble == 14:
                    values.append(int.from_bytes(data[position:position + 2], "big") + 269)
                    position += 2
                else:
                    values.append(nibble)
            number += values[0]
            self.options.append((number, data[position:position + values[1]]))
            position += values[1]

    def option(self, number):
        return next((value for n, value in self.options if n == number), None)

    def observe(self):
        value = self.option(OBSERVE)
        return None if value is None else int.from_bytes(value, "big")


def uint(value):
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


class RawCoap:
    """A CoAP endpoint on its own UDP socket, one request at a time."""

    def __init__(self, port):
        self.address = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.mid = random.randrange(0x10000)
        self.notifications = []

    def close(self):
        self.sock.close()

    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def request(self, method, path, query=None, payload=b"", type_=CON, observe=None, token=None,
                extra_options=(), timeout=5):
        token = token if token is not None else os.urandom(4)
        options = [(URI_PATH, segment.encode()) for segment in path.strip("/").split("/")
                   if path.strip("/")]
        options += [(URI_QUERY, f"{k}={v}".encode()) for k, v in (query or {}).items()]
        if observe is not None:
            options.append((OBSERVE, uint(observe)))
        options += list(extra_options)
        mid = self.next_mid()
        datagram = encode(type_, method, mid, token, options, payload)
        deadline = time.monotonic() + timeout
        self.sock.sendto(datagram, self.address)
        resend = time.monotonic() + 1.0  # the gateway may not be bound yet right after start
        while time.monotonic() < deadline:
            reply = self.receive(max(0.05, min(resend, deadline) - time.monotonic()))
            if reply is None:
                if time.monotonic() >= resend and type_ == CON:
                    self.sock.sendto(datagram, self.address)
                    resend = time.monotonic() + 1.0
                continue
            if reply.token == token and (reply.mid == mid or reply.type in (CON, NON)) \
                    and reply.code >= 0x40:
                if reply.type == CON:
                    self.ack(reply)
                return reply
            if reply.type == RST and reply.mid == mid:
                return reply
            self.keep(reply)
        raise TimeoutError(f"no response to {path}")

    def receive(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65536)
        except (socket.timeout, BlockingIOError):
            return None
        return Message(data)

    def keep(self, message):
        if message.code == code("2.05") and message.observe() is not None:
            self.notifications.append(message)

    def ack(self, message):
        self.sock.sendto(encode(ACK, 0, message.mid), self.address)

    def rst(self, message):
        self.sock.sendto(encode(RST, 0, message.mid), self.address)

    def notification(self, timeout=5, acknowledge=True):
        """The next notification (CON ones acknowledged unless told otherwise), or None."""
        if self.notifications:
            return self.notifications.pop(0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.receive(deadline - time.monotonic())
            if message is None:
                return None
            if message.code == code("2.05") and message.observe() is not None:
                if message.type == CON and acknowledge:
                    self.ack(message)
                return message
        return None


def ping_until_answered(sock, port, first_mid, timeout=15):
    """CoAP pings (empty CON) until one is answered with its RST; every datagram received
    meanwhile. libcoap answers at most one ping per peer every 250 ms, and none in the first
    250 ms after it started (net.c, last_tx_rst), so a single ping proves nothing."""
    received = []
    deadline = time.monotonic() + timeout
    sock.settimeout(0.5)
    mid = first_mid
    while time.monotonic() < deadline:
        sock.sendto(bytes([0x40, 0, mid >> 8, mid & 0xFF]), ("127.0.0.1", port))
        try:
            while True:
                reply = Message(sock.recvfrom(2048)[0])
                received.append(reply)
                if reply.type == RST and first_mid <= reply.mid <= mid:
                    return received
        except socket.timeout:
            pass
        mid += 1
    raise AssertionError("no ping answered")
