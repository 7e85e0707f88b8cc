"""Self-test of the LwM2M device simulator (lwm2m_device.py) against a small fake LwM2M server
on loopback: the registration interface exchanges byte for byte, every read format (TLV
checked byte-exactly), writes in each format, access rights, Execute, Create / Delete,
Discover with Write-Attributes, Observe with notifications and both ways of cancelling, queue
mode, duplicate requests, retransmission, and garbage datagrams. No broker needed."""
import json
import os
import queue
import socket
import struct
import threading

import pytest

from coap_raw import (ACK, CON, CONTENT_FORMAT, DELETE, GET, NON, OBSERVE, POST, PUT, RST,
                      URI_PATH, URI_QUERY, Message, code, encode, uint)
from lwm2m_device import (ACCEPT, LINK_FORMAT, LOCATION_PATH, MULTIPLE_RESOURCE, OBJECT_INSTANCE,
                          OMA_JSON, OPAQUE, RESOURCE, RESOURCE_INSTANCE, SENML_CBOR, SENML_JSON,
                          TEXT, TLV, Device, parse_datagram, parse_execute_arguments, senml_cbor,
                          tlv_decode, tlv_entry, tlv_value)

WAIT = 10  # generous: only failures wait this long


class FakeServer:
    """Just enough of a LwM2M server: answers the registration interface (POST /rd -> 2.01
    rd/5a3f, POST /rd/5a3f -> 2.04, DELETE -> 2.02), records every datagram of it (duplicates
    included), and sends requests to the device. Knobs: drop (registration datagrams to ignore
    before answering), separate (empty ACK then a CON response), rst_notifications (answer
    CON notifications with RST), on_update (called after answering an update), silent (drop
    every datagram, as a server that went away)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.registration = []          # every registration-interface datagram (Message)
        self.responses = queue.Queue()  # ACKs, RSTs and NON responses from the device
        self.notifications = queue.Queue()
        self.drop = 0
        self.separate = False
        self.rst_notifications = False
        self.on_update = None
        self.silent = False
        self.mid = 0x1000
        self.answered = {}              # mid -> our reply, to answer retransmissions alike
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def close(self):
        self.sock.close()

    def _run(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(65536)
            except OSError:
                return
            if self.silent:
                continue
            message = Message(data)
            if 1 <= message.code <= 4:
                self._registration(message, peer)
            elif message.type in (CON, NON) and message.observe() is not None:
                if message.type == CON:
                    kind = RST if self.rst_notifications else ACK
                    self.sock.sendto(encode(kind, 0, message.mid), peer)
                self.notifications.put(message)
            elif message.type == CON and message.code >= 0x40:
                self.sock.sendto(encode(ACK, 0, message.mid), peer)  # a separate response
                self.responses.put(message)
            else:
                self.responses.put(message)

    def _registration(self, message, peer):
        self.registration.append(message)
        if self.drop:
            self.drop -= 1
            return
        path = [v.decode() for n, v in message.options if n == URI_PATH]
        options = []
        if message.code == POST and path == ["rd"]:
            reply = code("2.01")
            options = [(LOCATION_PATH, b"rd"), (LOCATION_PATH, b"5a3f")]
        elif message.code == POST and path == ["rd", "5a3f"]:
            reply = code("2.04")
        elif message.code == DELETE and path == ["rd", "5a3f"]:
            reply = code("2.02")
        else:
            reply = code("4.04")
        if self.separate:
            self.sock.sendto(encode(ACK, 0, message.mid), peer)
            self.sock.sendto(encode(CON, reply, self.next_mid(), message.token, options), peer)
        else:
            self.sock.sendto(encode(ACK, reply, message.mid, message.token, options), peer)
        if reply == code("2.04") and self.on_update is not None:
            self.on_update(peer)

    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    @staticmethod
    def datagram(method, path, mid, token=b"\x01\x02", query=(), payload=b"",
                 content_format=None, accept=None, observe=None, type_=CON, extra_options=()):
        options = [(URI_PATH, segment.encode()) for segment in path.strip("/").split("/")
                   if segment]
        options += [(URI_QUERY, item.encode()) for item in query]
        if content_format is not None:
            options.append((CONTENT_FORMAT, uint(content_format)))
        if accept is not None:
            options.append((ACCEPT, uint(accept)))
        if observe is not None:
            options.append((OBSERVE, uint(observe)))
        options += list(extra_options)
        return encode(type_, method, mid, token, options, payload)

    def send(self, device, datagram):
        self.sock.sendto(datagram, device.address)

    def request(self, device, method, path, token=None, type_=CON, **kwargs):
        """One request to the device; its response (ACK for CON, NON response for NON)."""
        mid = self.next_mid()
        token = os.urandom(4) if token is None else token
        self.send(device, self.datagram(method, path, mid, token, type_=type_, **kwargs))
        return self.response(lambda m: m.mid == mid if type_ == CON else m.token == token)

    def response(self, matches):
        while True:
            message = self.responses.get(timeout=WAIT)
            if matches(message):
                return message

    def notification(self):
        return self.notifications.get(timeout=WAIT)


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


@pytest.fixture
def device(server):
    with Device(server.port, endpoint="sim-1", lifetime=120, ack_timeout=0.2,
                ack_random_factor=1.0, response_timeout=5) as simulator:
        yield simulator
        assert simulator.errors == []


def content_format(message):
    value = message.option(CONTENT_FORMAT)
    return None if value is None else int.from_bytes(value, "big")


def uri(message, number):
    return [v.decode() for n, v in message.options if n == number]


# ---- registration interface ---------------------------------------------------------------------

def test_register_update_deregister_exchanges(server, device):
    response = device.register()
    assert response.code == code("2.01") and device.location == ["rd", "5a3f"]
    register = server.registration[0]
    assert (register.type, register.code) == (CON, POST)
    assert uri(register, URI_PATH) == ["rd"]
    assert uri(register, URI_QUERY) == ["ep=sim-1", "lt=120", "lwm2m=1.0", "b=U"]
    assert content_format(register) == LINK_FORMAT
    assert register.payload == b"</1/0>,</3/0>,</5/0>,</3303/0>"

    assert device.update().code == code("2.04")
    update = server.registration[1]
    assert (update.code, uri(update, URI_PATH)) == (POST, ["rd", "5a3f"])
    assert uri(update, URI_QUERY) == [] and update.payload == b""
    assert content_format(update) is None

    device.add_instance(3303, 4, {5700: 1.5})
    assert device.update(lifetime=60, binding="UQ", objects=True).code == code("2.04")
    update = server.registration[2]
    assert uri(update, URI_QUERY) == ["lt=60", "b=UQ"]
    assert update.payload == b"</1/0>,</3/0>,</5/0>,</3303/0>,</3303/4>"
    assert content_format(update) == LINK_FORMAT
    assert device.get_value("/1/0/1") == 60 and device.get_value("/1/0/7") == "UQ"

    device.update(objects="</3/0>")
    assert server.registration[3].payload == b"</3/0>"

    assert device.deregister().code == code("2.02")
    delete = server.registration[4]
    assert (delete.code, uri(delete, URI_PATH), delete.payload) == (DELETE, ["rd", "5a3f"], b"")
    assert device.location is None
    assert len({m.mid for m in server.registration}) == 5


def test_registration_options(server):
    with Device(server.port, endpoint="alt", lifetime=30, version="1.1", binding="UQ",
                alternate_path="/lwm2m", ack_timeout=0.2) as device:
        device.values[3303].clear()
        device.register(extra_query=["sms=123"])
        register = server.registration[0]
        assert uri(register, URI_QUERY) == ["ep=alt", "lt=30", "lwm2m=1.1", "b=UQ", "sms=123"]
        assert register.payload == \
            b'</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>,</lwm2m/5/0>,</lwm2m/3303>'
        # Requests are served under the alternate path only.
        read = server.request(device, GET, "/lwm2m/3/0/9")
        assert (read.code, read.payload) == (code("2.05"), b"95")
        assert server.request(device, GET, "/3/0/9").code == code("4.04")
        created = server.request(device, POST, "/lwm2m/3303", content_format=TLV,
                                 payload=tlv_entry(RESOURCE, 5701, b"K"))
        assert uri(created, LOCATION_PATH) == ["lwm2m", "3303", "0"]
        discover = server.request(device, GET, "/lwm2m/3303/0", accept=LINK_FORMAT)
        assert discover.payload == b"</lwm2m/3303/0>,</lwm2m/3303/0/5700>,</lwm2m/3303/0/5701>"
        assert device.errors == []

    with Device(server.port, object_links="</3/0>", ack_timeout=0.2) as device:
        device.register()
        assert server.registration[1].payload == b"</3/0>"


def test_separate_response_to_registration(server, device):
    server.separate = True
    assert device.register().code == code("2.01")
    assert device.location == ["rd", "5a3f"]
    # A copy of the separate response (our ACK lost) is acknowledged again; a stranger gets RST.
    token = server.registration[0].token
    server.send(device, encode(CON, code("2.01"), 0x5151, token))
    assert server.response(lambda m: m.mid == 0x5151).type == ACK
    server.send(device, encode(CON, code("2.01"), 0x5252, b"other"))
    assert server.response(lambda m: m.mid == 0x5252).type == RST


def test_unanswered_registration_is_retransmitted(server):
    with Device(server.port, ack_timeout=0.1, ack_random_factor=1.0, max_retransmit=2,
                response_timeout=1) as device:
        server.drop = 2  # the first two copies are lost, the third is answered
        assert device.register().code == code("2.01")
        assert len(server.registration) == 3
        assert len({(m.mid, m.token, m.payload) for m in server.registration}) == 1

        server.drop = 100  # never answered: the original and MAX_RETRANSMIT copies
        with pytest.raises(TimeoutError):
            device.update()
        assert len(server.registration) == 3 + 3
        assert len({m.mid for m in server.registration[3:]}) == 1


# ---- read formats -----------------------------------------------------------------------------

def test_tlv_reads_are_byte_exact(server, device):
    battery = server.request(device, GET, "/3/0/9", accept=TLV)
    assert (battery.code, content_format(battery)) == (code("2.05"), TLV)
    assert battery.payload == bytes.fromhex("C1095F")

    manufacturer = server.request(device, GET, "/3/0/0", accept=TLV)
    assert manufacturer.payload == bytes.fromhex("C8000A") + b"gatemq-sim"  # 8-bit length

    voltages = server.request(device, GET, "/3/0/7", token=b"\xaa")
    assert (voltages.token, content_format(voltages)) == (b"\xaa", TLV)  # default: TLV
    assert voltages.payload == bytes.fromhex("8807 08 42000ED8 42011388")  # 3800, 5000 in 2 bytes

    one = server.request(device, GET, "/3/0/7/1", accept=TLV)
    assert one.payload == bytes.fromhex("42011388")

    sensor = server.request(device, GET, "/3303/0/5700", accept=TLV)
    assert sensor.payload == bytes.fromhex("E4 1644") + struct.pack(">f", 21.5)  # 16-bit id

    device.set_value("/3303/0/5700", 0.1)  # not exact in single precision: 8 bytes
    assert server.request(device, GET, "/3303/0/5700", accept=TLV).payload == \
        bytes.fromhex("E8 1644 08") + struct.pack(">d", 0.1)

    instance = server.request(device, GET, "/5/0")
    assert content_format(instance) == TLV
    assert instance.payload == bytes.fromhex("C001 C10300 C10500")  # 0 W-only, 2 E: left out

    whole = server.request(device, GET, "/1")
    body = bytes.fromhex("C10065 C10178 C10600 C10755")
    assert whole.payload == bytes.fromhex("08 00 0C") + body

    # Long values take 16- and 24-bit lengths; tlv_decode reads every form back.
    for size, header in ((300, "D00A012C"), (70000, "D80A011170")):
        entry = tlv_entry(RESOURCE, 10, b"x" * size)
        assert entry.startswith(bytes.fromhex(header))
        assert tlv_decode(entry) == [(RESOURCE, 10, b"x" * size)]
    assert tlv_value("Integer", -129) == bytes.fromhex("FF7F")
    assert tlv_value("Integer", 1 << 40) == (1 << 40).to_bytes(8, "big")
    with pytest.raises(ValueError):
        tlv_decode(bytes.fromhex("C8 01 05 41"))


def test_text_opaque_and_json_reads(server, device):
    text = server.request(device, GET, "/3/0/9")
    assert (content_format(text), text.payload) == (TEXT, b"95")
    assert server.request(device, GET, "/3303/0/5700").payload == b"21.5"
    assert server.request(device, GET, "/3/0/7/0", accept=TEXT).payload == b"3800"

    oma = server.request(device, GET, "/3/0", accept=OMA_JSON)
    assert content_format(oma) == OMA_JSON
    document = json.loads(oma.payload)
    assert document["bn"] == "/3/0/"
    assert {"n": "0", "sv": "gatemq-sim"} in document["e"]
    assert {"n": "6/1", "v": 5} in document["e"]
    assert not any(e["n"] == "4" for e in document["e"])  # Reboot is not readable
    assert json.loads(server.request(device, GET, "/3/0/9", accept=OMA_JSON).payload) == \
        {"bn": "/3/0/9", "e": [{"v": 95}]}
    assert json.loads(server.request(device, GET, "/1/0/6", accept=OMA_JSON).payload) == \
        {"bn": "/1/0/6", "e": [{"bv": False}]}

    senml = server.request(device, GET, "/3303/0", accept=SENML_JSON)
    assert content_format(senml) == SENML_JSON
    assert json.loads(senml.payload) == [{"bn": "/3303/0/", "n": "5700", "v": 21.5},
                                         {"n": "5701", "vs": "Cel"}]
    assert json.loads(server.request(device, GET, "/3/0/6", accept=SENML_JSON).payload) == \
        [{"bn": "/3/0/6/", "n": "0", "v": 1}, {"n": "1", "v": 5}]

    # Opaque: a write-only Package cannot be read; a readable Opaque resource reads as 42.
    assert server.request(device, GET, "/5/0/0").code == code("4.05")
    make_writable(device, 5, 0)  # now RW
    device.set_value("/5/0/0", b"\x00\xff")
    package = server.request(device, GET, "/5/0/0")
    assert (content_format(package), package.payload) == (OPAQUE, b"\x00\xff")
    assert server.request(device, GET, "/5/0/0", accept=TEXT).payload == b"AP8="
    assert json.loads(server.request(device, GET, "/5/0/0", accept=SENML_JSON).payload) == \
        [{"bn": "/5/0/0", "vd": "AP8"}]

    # Unsupported or inapplicable Accept values.
    assert server.request(device, GET, "/3/0", accept=TEXT).code == code("4.06")
    assert server.request(device, GET, "/3/0/9", accept=OPAQUE).code == code("4.06")
    assert server.request(device, GET, "/3/0/9", accept=50).code == code("4.06")
    assert server.request(device, GET, "/3/0/6", accept=TEXT).code == code("4.06")

    # Not found.
    for path in ("/4", "/3/1", "/3/0/5", "/3/0/6/9", "/3/0/9/0", "/3/x", "/", "/3/0/9/0/1"):
        assert server.request(device, GET, path).code == code("4.04"), path


def test_read_format_option(server):
    with Device(server.port, read_format=SENML_JSON, ack_timeout=0.2) as device:
        assert content_format(server.request(device, GET, "/3/0")) == SENML_JSON
        assert content_format(server.request(device, GET, "/3/0/9")) == SENML_JSON
    with Device(server.port, read_format=TEXT, ack_timeout=0.2) as device:
        assert content_format(server.request(device, GET, "/3/0/9")) == TEXT
        assert content_format(server.request(device, GET, "/3/0")) == TLV  # text cannot
        assert content_format(server.request(device, GET, "/3/0/9", accept=TLV)) == TLV


def test_non_request_gets_a_non_response(server, device):
    response = server.request(device, GET, "/3/0/9", type_=NON, token=b"\x07\x07")
    assert (response.type, response.token, response.payload) == (NON, b"\x07\x07", b"95")


# ---- writes -------------------------------------------------------------------------------------

def test_writes_in_each_format(server, device):
    changed = code("2.04")
    assert server.request(device, PUT, "/1/0/1", content_format=TEXT, payload=b"600").code == \
        changed
    assert device.get_value("/1/0/1") == 600
    assert server.request(device, PUT, "/3/0/13", content_format=TLV,
                          payload=tlv_entry(RESOURCE, 13, tlv_value("Time", 1800000000))
                          ).code == changed
    assert device.get_value("/3/0/13") == 1800000000
    assert server.request(device, PUT, "/5/0/0", content_format=OPAQUE,
                          payload=b"\x01\x02\x03").code == changed
    assert device.get_value("/5/0/0") == b"\x01\x02\x03"

    # Instance writes: replace (PUT) and partial update (POST), with and without the instance TLV.
    body = tlv_entry(RESOURCE, 14, b"+05:00") + tlv_entry(RESOURCE, 13, tlv_value("Time", 5))
    assert server.request(device, PUT, "/3/0", content_format=TLV, payload=body).code == changed
    assert (device.get_value("/3/0/14"), device.get_value("/3/0/13")) == ("+05:00", 5)
    wrapped = tlv_entry(OBJECT_INSTANCE, 0, tlv_entry(RESOURCE, 6, b"\x01"))
    assert server.request(device, POST, "/1/0", content_format=TLV, payload=wrapped).code == \
        changed
    assert device.get_value("/1/0/6") is True
    assert server.request(device, POST, "/3303/0/5701", content_format=TEXT,
                          payload=b"Far").code == changed
    assert device.get_value("/3303/0/5701") == "Far"

    # Multiple resources: PUT replaces the instances, POST merges them.
    make_writable(device, 3, 11)
    instances = tlv_entry(MULTIPLE_RESOURCE, 11, tlv_entry(RESOURCE_INSTANCE, 2, b"\x07"))
    assert server.request(device, PUT, "/3/0/11", content_format=TLV, payload=instances).code == \
        changed
    assert device.get_value("/3/0/11") == {2: 7}
    merge = tlv_entry(RESOURCE_INSTANCE, 5, b"\x08")
    assert server.request(device, POST, "/3/0/11", content_format=TLV, payload=merge).code == \
        changed
    assert device.get_value("/3/0/11") == {2: 7, 5: 8}
    assert server.request(device, PUT, "/3/0/11/2", content_format=TEXT, payload=b"9").code == \
        changed
    assert device.get_value("/3/0/11") == {2: 9, 5: 8}

    writes = [r for r in device.requests if r.method in (PUT, POST)]
    assert [(r.method_name, r.path, r.content_format) for r in writes[:3]] == \
        [("PUT", "/1/0/1", TEXT), ("PUT", "/3/0/13", TLV), ("PUT", "/5/0/0", OPAQUE)]
    assert writes[0].payload == b"600" and writes[0].response_code == changed


def test_senml_writes_and_creates(server, device):
    changed = code("2.04")
    pack = json.dumps([{"bn": "/1/0/", "n": "1", "v": 700}, {"n": "7", "vs": "UQ"}]).encode()
    assert server.request(device, POST, "/1/0", content_format=SENML_JSON, payload=pack).code == \
        changed
    assert (device.get_value("/1/0/1"), device.get_value("/1/0/7")) == (700, "UQ")
    pack = senml_cbor([{"bn": "/5/0/", "n": "0", "vd": b"\x00\xff"}])
    assert server.request(device, PUT, "/5/0/0", content_format=SENML_CBOR, payload=pack).code == \
        changed
    assert device.get_value("/5/0/0") == b"\x00\xff"
    pack = json.dumps([{"bn": "/3/0/7/", "n": "1", "v": 4200}]).encode()
    assert server.request(device, PUT, "/3/0/7/1", content_format=SENML_JSON,
                          payload=pack).code == code("4.05")  # read-only
    # A value of the wrong kind, a record outside the target, an unknown resource.
    for records, status in (([{"bn": "/1/0/", "n": "1", "vs": "x"}], "4.00"),
                            ([{"bn": "/3/0/", "n": "14", "vs": "x"}], "4.00"),
                            ([{"bn": "/1/0/", "n": "99", "v": 1}], "4.04")):
        assert server.request(device, POST, "/1/0", content_format=SENML_CBOR,
                              payload=senml_cbor(records)).code == code(status), records
    created = server.request(device, POST, "/3303", content_format=SENML_CBOR,
                             payload=senml_cbor([{"bn": "/3303/4/", "n": "5700", "v": 1.5}]))
    assert created.code == code("2.01") and uri(created, LOCATION_PATH) == ["3303", "4"]
    assert device.get_value("/3303/4/5700") == 1.5


def test_a_device_without_tlv_answers_like_stock_wakaama(server):
    with Device(server.port, version="1.1", has_tlv=False, ack_timeout=0.2) as device:
        # Its serializer falls back to TLV, which it lacks.
        for accept in (None, TLV, OMA_JSON):
            assert server.request(device, GET, "/3/0", accept=accept).code == code("5.00")
            assert server.request(device, GET, "/3/0/9", accept=accept).code == code("5.00")
        for accept in (SENML_CBOR, SENML_JSON):
            answer = server.request(device, GET, "/3/0", accept=accept)
            assert (answer.code, content_format(answer)) == (code("2.05"), accept)
        assert server.request(device, GET, "/3/0/9", accept=TEXT).payload == b"95"
        body = tlv_entry(RESOURCE, 1, b"\x02")
        assert server.request(device, POST, "/1/0", content_format=TLV, payload=body).code == \
            code("4.15")
        assert server.request(device, PUT, "/1/0/1", content_format=TEXT, payload=b"9").code == \
            code("2.04")
        assert device.errors == []


def make_writable(device, object_id, resource_id):
    from dataclasses import replace
    definition = device.definitions[object_id]
    resources = dict(definition.resources)
    resources[resource_id] = replace(resources[resource_id], ops="RW")
    device.definitions[object_id] = replace(definition, resources=resources)


def test_write_errors(server, device):
    def status(method, path, **kwargs):
        return server.request(device, method, path, **kwargs).code

    # Read-only and executable resources, objects.
    assert status(PUT, "/3/0/9", content_format=TEXT, payload=b"50") == code("4.05")
    assert status(PUT, "/3/0/4", content_format=TEXT, payload=b"1") == code("4.05")
    assert status(PUT, "/3/0", content_format=TLV, payload=tlv_entry(RESOURCE, 9, b"\x01")) == \
        code("4.05")
    assert status(PUT, "/3", content_format=TLV, payload=b"") == code("4.05")
    assert device.get_value("/3/0/9") == 95
    # Bad payloads.
    assert status(PUT, "/1/0/1", content_format=TEXT, payload=b"ten") == code("4.00")
    assert status(PUT, "/1/0/6", content_format=TEXT, payload=b"2") == code("4.00")
    assert status(PUT, "/1/0/1", content_format=TLV, payload=b"\xc1\x01") == code("4.00")
    assert status(PUT, "/1/0/1", content_format=TLV, payload=bytes.fromhex("C1 02 05")) == \
        code("4.00")
    assert status(PUT, "/1/0/1", content_format=TLV, payload=bytes.fromhex("C3 01 000001")) == \
        code("4.00")
    assert status(PUT, "/1/0/7", content_format=TEXT, payload=b"\xff") == code("4.00")
    assert status(PUT, "/1/0/1", payload=b"5") == code("4.00")  # no Content-Format
    # Formats the device does not decode, or that do not fit the target.
    assert status(PUT, "/1/0/1", content_format=OMA_JSON, payload=b"{}") == code("4.15")
    assert status(PUT, "/1/0/1", content_format=SENML_JSON, payload=b"[]") == code("4.00")
    assert status(PUT, "/1/0/7", content_format=OPAQUE, payload=b"U") == code("4.15")
    assert status(PUT, "/1/0", content_format=TEXT, payload=b"5") == code("4.15")
    # Unknown resource in an instance write.
    assert status(PUT, "/1/0", content_format=TLV, payload=tlv_entry(RESOURCE, 99, b"")) == \
        code("4.04")
    assert device.get_value("/1/0/1") == 120


# ---- execute, create, delete ------------------------------------------------------------------

def test_execute(server, device):
    device.register()
    assert server.request(device, POST, "/3/0/4").code == code("2.04")
    assert server.request(device, POST, "/5/0/2", content_format=TEXT,
                          payload=b"0='v2',3").code == code("2.04")
    assert [(e.path, e.arguments) for e in device.executions] == \
        [("/3/0/4", {}), ("/5/0/2", {0: "v2", 3: None})]
    assert device.wait_for_request("POST", "/5/0/2").payload == b"0='v2',3"
    assert device.wait_for_request(predicate=lambda r: r.content_format == TEXT).path == "/5/0/2"
    with pytest.raises(TimeoutError):
        device.wait_for_request("DELETE", timeout=0.2)
    assert server.request(device, POST, "/3/0/9").code == code("4.05")  # not executable
    assert server.request(device, POST, "/1/0/1").code == code("4.05")
    assert server.request(device, POST, "/3/0/4", payload=b"x y").code == code("4.00")
    assert server.request(device, POST, "/3/0/4", content_format=TLV, payload=b"\x00").code == \
        code("4.15")
    assert parse_execute_arguments(b"1,2='',3='a b'") == {1: None, 2: "", 3: "a b"}

    # Registration Update Trigger: the device sends an update by itself.
    assert server.request(device, POST, "/1/0/8").code == code("2.04")
    device.wait_until(lambda: len(server.registration) == 2, WAIT)
    assert uri(server.registration[1], URI_PATH) == ["rd", "5a3f"]


def test_create_and_delete(server, device):
    with_id = tlv_entry(OBJECT_INSTANCE, 7, tlv_entry(RESOURCE, 5700, tlv_value("Float", 3.5))
                        + tlv_entry(RESOURCE, 5701, b"K"))
    created = server.request(device, POST, "/3303", content_format=TLV, payload=with_id)
    assert created.code == code("2.01") and uri(created, LOCATION_PATH) == ["3303", "7"]
    assert device.get_value("/3303/7") == {5700: 3.5, 5701: "K"}
    assert server.request(device, GET, "/3303/7/5700").payload == b"3.5"

    chosen = server.request(device, POST, "/3303", content_format=TLV,
                            payload=tlv_entry(RESOURCE, 5701, b"F"))
    assert uri(chosen, LOCATION_PATH) == ["3303", "1"]  # the lowest free id
    assert device.get_value("/3303/1") == {5700: 0.0, 5701: "F"}

    assert server.request(device, POST, "/3303", content_format=TLV, payload=with_id).code == \
        code("4.00")  # exists
    assert server.request(device, POST, "/3", content_format=TLV, payload=b"").code == \
        code("4.05")
    assert server.request(device, POST, "/9", content_format=TLV, payload=b"").code == \
        code("4.04")
    assert server.request(device, POST, "/3303", content_format=TEXT, payload=b"1").code == \
        code("4.15")
    assert server.request(device, POST, "/3303", content_format=TLV,
                          payload=tlv_entry(RESOURCE, 1, b"")).code == code("4.00")

    assert server.request(device, DELETE, "/3303/7").code == code("2.02")
    assert 7 not in device.values[3303]
    assert server.request(device, DELETE, "/3303/7").code == code("4.04")
    assert server.request(device, DELETE, "/3/0").code == code("4.05")
    assert server.request(device, DELETE, "/3303").code == code("4.05")
    assert server.request(device, DELETE, "/3303/1/5701").code == code("4.05")


# ---- discover and write-attributes --------------------------------------------------------------

def test_discover_with_attributes(server, device):
    def attributes(path, *query):
        return server.request(device, PUT, path, query=query).code

    assert attributes("/3/0", "pmax=60") == code("2.04")
    assert attributes("/3/0/9", "gt=50", "pmax=120", "lt=20.5", "pmin=10") == code("2.04")
    assert attributes("/3/0/7", "st=1") == code("2.04")
    assert attributes("/3", "pmin=5") == code("2.04")
    recorded = device.requests[1]
    assert (recorded.method_name, recorded.query, recorded.payload) == \
        ("PUT", ["gt=50", "pmax=120", "lt=20.5", "pmin=10"], b"")

    discover = server.request(device, GET, "/3/0", accept=LINK_FORMAT)
    assert (discover.code, content_format(discover)) == (code("2.05"), LINK_FORMAT)
    assert discover.payload.decode() == (
        "</3/0>;pmax=60,</3/0/0>,</3/0/1>,</3/0/2>,</3/0/3>,</3/0/4>,</3/0/6>;dim=2,"
        "</3/0/7>;dim=2;st=1,</3/0/9>;pmin=10;pmax=120;gt=50;lt=20.5,</3/0/11>;dim=1,</3/0/13>,"
        "</3/0/14>,</3/0/16>")
    assert server.request(device, GET, "/3/0/9", accept=LINK_FORMAT).payload == \
        b"</3/0/9>;pmin=10;pmax=120;gt=50;lt=20.5"
    assert server.request(device, GET, "/3303", accept=LINK_FORMAT).payload == \
        b"</3303>,</3303/0>,</3303/0/5700>,</3303/0/5701>"
    assert server.request(device, GET, "/3", accept=LINK_FORMAT).payload.startswith(
        b"</3>;pmin=5,</3/0>;pmax=60,</3/0/0>,")

    # An attribute without a value is removed.
    assert attributes("/3/0/9", "gt") == code("2.04")
    assert server.request(device, GET, "/3/0/9", accept=LINK_FORMAT).payload == \
        b"</3/0/9>;pmin=10;pmax=120;lt=20.5"

    assert attributes("/3/0/9", "foo=1") == code("4.00")
    assert attributes("/3/0/9", "pmin=-1") == code("4.00")
    assert attributes("/3/0/0", "gt=1") == code("4.00")  # not numeric
    assert attributes("/3/0", "lt=1") == code("4.00")    # not a resource
    assert attributes("/3/7", "pmin=1") == code("4.04")
    assert server.request(device, GET, "/3/9", accept=LINK_FORMAT).code == code("4.04")


# ---- observe ----------------------------------------------------------------------------------

def test_observe_notify_and_cancel_with_get(server, device):
    response = server.request(device, GET, "/3/0/9", token=b"ob1", observe=0)
    assert (response.code, response.payload, response.observe()) == (code("2.05"), b"95", 1)
    parent = server.request(device, GET, "/3/0", token=b"ob2", observe=0, accept=SENML_JSON)
    assert parent.observe() == 1 and content_format(parent) == SENML_JSON
    assert len(device.observers) == 2

    device.set_value("/3/0/9", 80)
    assert device.notify("/3/0/9") == 2
    first = [server.notification(), server.notification()]
    by_token = {m.token: m for m in first}
    assert by_token[b"ob1"].type == NON
    assert (by_token[b"ob1"].payload, by_token[b"ob1"].observe()) == (b"80", 2)
    assert {"n": "9", "v": 80} in json.loads(by_token[b"ob2"].payload)
    assert content_format(by_token[b"ob2"]) == SENML_JSON

    assert device.notify("/3/0/13") == 1  # only the instance observer
    assert server.notification().token == b"ob2"
    assert device.set_value("/3/0/9", 70, notify=True) == 2
    sequences = {m.token: m.observe() for m in (server.notification(), server.notification())}
    assert sequences == {b"ob1": 3, b"ob2": 4}

    # Cancel with GET Observe=1: a plain response, no more notifications for that token.
    cancel = server.request(device, GET, "/3/0/9", token=b"ob1", observe=1)
    assert (cancel.code, cancel.payload, cancel.observe()) == (code("2.05"), b"70", None)
    assert [o.token for o in device.observers.values()] == [b"ob2"]
    assert device.notify("/3/0/9") == 1
    assert server.notification().token == b"ob2"
    assert [(n.path, n.sequence) for n in device.notifications][-1] == ("/3/0", 5)

    # Observing something unreadable registers nothing.
    assert server.request(device, GET, "/3/0/4", observe=0).code == code("4.05")
    assert len(device.observers) == 1


def test_con_notifications_and_cancel_with_rst(server):
    with Device(server.port, notify_con=True, ack_timeout=0.2, ack_random_factor=1.0) as device:
        server.request(device, GET, "/3303/0/5700", token=b"t1", observe=0)
        device.set_value("/3303/0/5700", 22.0)
        device.notify("/3303/0/5700")
        notification = server.notification()
        assert (notification.type, notification.payload, notification.observe()) == \
            (CON, b"22.0", 2)
        device.wait_until(lambda: not device._exchanges, WAIT)  # acknowledged
        assert len(device.observers) == 1

        server.rst_notifications = True
        device.notify("/3303/0/5700")
        assert server.notification().observe() == 3
        device.wait_until(lambda: not device.observers, WAIT)
        assert device.notify("/3303/0/5700") == 0

        # A NON notification answered with RST also ends the observation.
        server.request(device, GET, "/3303/0", token=b"t2", observe=0)
        device.notify("/3303/0/5701", con=False)
        notification = server.notification()
        assert notification.type == NON
        server.send(device, encode(RST, 0, notification.mid))
        device.wait_until(lambda: not device.observers, WAIT)

        # Deleting an observed instance drops its observers.
        server.request(device, GET, "/3303/0", token=b"t3", observe=0)
        assert server.request(device, DELETE, "/3303/0").code == code("2.02")
        assert device.observers == {}
        assert device.errors == []


def test_unacknowledged_con_notification_ends_the_observation(server):
    with Device(server.port, notify_con=True, ack_timeout=0.05, ack_random_factor=1.0,
                max_retransmit=1) as device:
        server.request(device, GET, "/3/0/9", token=b"t", observe=0)
        server.silent = True  # the server is gone
        device.notify("/3/0/9")
        device.wait_until(lambda: not device.observers, WAIT)
        assert [n.sequence for n in device.notifications] == [2]
        assert device.errors == []


# ---- queue mode ---------------------------------------------------------------------------------

def test_queue_mode_sleep_and_wake(server):
    with Device(server.port, binding="UQ", ack_timeout=0.2, ack_random_factor=1.0) as device:
        assert device.register().code == code("2.01")
        assert uri(server.registration[0], URI_QUERY)[-1] == "b=UQ"
        server.request(device, GET, "/3/0/9", token=b"obs", observe=0)
        device.sleep()
        assert device.asleep
        assert device.set_value("/3/0/9", 60, notify=True) == 0  # kept until wake()
        lost_mid = server.next_mid()
        server.send(device, server.datagram(GET, "/3/0/9", lost_mid))  # sent too early: lost

        queued_mid = server.next_mid()

        def send_queued(peer):  # the server's queue is flushed after the update
            server.sock.sendto(server.datagram(GET, "/3/0/1", queued_mid, token=b"q"), peer)

        server.on_update = send_queued
        assert device.wake().code == code("2.04")
        assert not device.asleep
        update = server.registration[1]
        assert (update.code, uri(update, URI_PATH)) == (POST, ["rd", "5a3f"])
        answer = server.response(lambda m: m.mid == queued_mid)
        assert (answer.code, answer.token, answer.payload) == (code("2.05"), b"q", b"sim-1")
        assert [m.mid for m, _ in device.missed] == [lost_mid]
        assert [r.path for r in device.requests] == ["/3/0/9", "/3/0/1"]
        notification = server.notification()
        assert (notification.token, notification.payload, notification.observe()) == \
            (b"obs", b"60", 2)

        with pytest.raises(RuntimeError):
            device.sleep()
            device.update()
        served_mid = server.next_mid()
        server.send(device, server.datagram(GET, "/3/0/9", served_mid))
        server.on_update = None
        device.wake(serve_missed=True, lifetime=45)
        assert uri(server.registration[2], URI_QUERY) == ["lt=45"]
        assert server.response(lambda m: m.mid == served_mid).payload == b"60"
        assert device.errors == []


# ---- CoAP messaging ---------------------------------------------------------------------------

def test_duplicate_requests_get_the_same_response(server, device):
    create = server.datagram(POST, "/3303", 0x4242, token=b"dup", content_format=TLV,
                             payload=tlv_entry(RESOURCE, 5701, b"D"))
    server.send(device, create)
    first = server.response(lambda m: m.mid == 0x4242)
    server.send(device, create)
    second = server.response(lambda m: m.mid == 0x4242)
    assert first.code == code("2.01")
    assert (second.code, second.token, second.options) == (first.code, b"dup", first.options)
    assert sorted(device.values[3303]) == [0, 1]  # created once
    assert len(device.requests) == 1 and len(device.duplicates) == 1
    assert device.duplicates[0].mid == 0x4242

    # The same Message ID with another token is a new request (a restarted server), not a copy.
    server.send(device, server.datagram(GET, "/3/0/9", 0x4242, token=b"new"))
    assert server.response(lambda m: m.token == b"new").payload == b"95"
    assert len(device.requests) == 2 and len(device.duplicates) == 1

    # A duplicated NON request is ignored.
    read = server.datagram(GET, "/3/0/9", 0x4343, token=b"n", type_=NON)
    server.send(device, read)
    server.response(lambda m: m.token == b"n")
    server.send(device, read)
    device.wait_until(lambda: len(device.duplicates) == 2, WAIT)
    assert len(device.requests) == 3


def test_garbage_pings_and_unknown_options(server, device):
    for datagram in (b"", b"\x00", b"\xff" * 40, b"\x40\x01", b"\x4f\x01\x00\x01",
                     b"\x80\x01\x00\x01", b"\x41\x01\x00\x02",
                     b"\x40\x01\x00\x03\xbd", b"\x50\x01\x00\x04\xf0", os.urandom(3)):
        server.send(device, datagram)
    device.wait_until(lambda: len(device.garbage) == 10, WAIT)
    # A CON with a format error is rejected with RST (RFC 7252 §4.2): payload marker, no payload.
    server.send(device, b"\x40\x01\x12\x34\xff")
    assert server.response(lambda m: m.mid == 0x1234).type == RST
    # A CoAP ping is answered with RST.
    server.send(device, encode(CON, 0, 0x2222))
    assert server.response(lambda m: m.mid == 0x2222).type == RST
    # Unknown critical option; unsupported method (FETCH).
    assert server.request(device, GET, "/3/0/9", extra_options=[(9, b"x")]).code == code("4.02")
    assert server.request(device, 5, "/3/0/9").code == code("4.05")
    # Still serving.
    assert server.request(device, GET, "/3/0/0").payload == b"gatemq-sim"
    assert device.requests[-1].response_payload == b"gatemq-sim"


def test_parse_datagram():
    assert parse_datagram(encode(CON, GET, 1, b"tk", [(URI_PATH, b"a" * 300)], b"p")).payload \
        == b"p"
    assert parse_datagram(b"\x40\x00\x00\x01") is not None  # empty message
    assert parse_datagram(b"\x40\x00\x00\x01\xff\x01") is None  # empty with payload
    assert parse_datagram(b"\x40\x21\x00\x01") is None  # class 1 is reserved
    assert parse_datagram(b"\x40\x01\x00\x01\xe0\x01") is None  # truncated extended delta


# SenML CBOR (content format 112) ----------------------------------------------------------

from lwm2m_device import cbor_encode  # noqa: E402


def test_cbor_encoder_matches_rfc8949_examples():
    # RFC 8949 Appendix A: (value, encoding in hex).
    examples = [
        (0, "00"), (23, "17"), (24, "1818"), (100, "1864"), (1000, "1903e8"),
        (1000000, "1a000f4240"), (1000000000000, "1b000000e8d4a51000"),
        (18446744073709551615, "1bffffffffffffffff"), (-1, "20"), (-10, "29"), (-100, "3863"),
        (-1000, "3903e7"), (1.1, "fb3ff199999999999a"), (False, "f4"), (True, "f5"),
        (None, "f6"), (b"", "40"), (b"\x01\x02\x03\x04", "4401020304"), ("", "60"),
        ("a", "6161"), ("IETF", "6449455446"), ("\u00fc", "62c3bc"), ([], "80"),
        ([1, 2, 3], "83010203"), ([1, [2, 3], [4, 5]], "8301820203820405"), ({}, "a0"),
        ({1: 2, 3: 4}, "a201020304"), ({"a": 1, "b": [2, 3]}, "a26161016162820203"),
    ]
    for value, expected in examples:
        assert cbor_encode(value).hex() == expected, value
    with pytest.raises(ValueError):
        cbor_encode(1 << 64)


def test_senml_cbor_reads(server, device):
    # [{-2: "/3303/0/", 0: "5700", 2: 21.5}, {0: "5701", 3: "Cel"}]
    reply = server.request(device, GET, "/3303/0", accept=SENML_CBOR)
    assert content_format(reply) == SENML_CBOR
    assert reply.payload == bytes.fromhex("82 a3 21 68") + b"/3303/0/" + bytes.fromhex("00 64") + \
        b"5700" + bytes.fromhex("02 fb 40 35 80 00 00 00 00 00 a2 00 64") + b"5701" + \
        bytes.fromhex("03 63") + b"Cel"
    # Opaque is a byte string: [{-2: "/5/0/0", 8: h'00FF'}]
    make_writable(device, 5, 0)
    device.set_value("/5/0/0", b"\x00\xff")
    assert server.request(device, GET, "/5/0/0", accept=SENML_CBOR).payload == \
        bytes.fromhex("81 a2 21 66") + b"/5/0/0" + bytes.fromhex("08 42 00 ff")
    # Labels become integers; LwM2M's object link keeps its text key "vlo" (no RFC 8428 label):
    # [{-2: "/9/0/", 0: "1", "vlo": "3:0"}]
    assert senml_cbor([{"bn": "/9/0/", "n": "1", "vlo": "3:0"}]) == \
        bytes.fromhex("81 a3 21 65") + b"/9/0/" + bytes.fromhex("00 61") + b"1" + \
        bytes.fromhex("63") + b"vlo" + bytes.fromhex("63") + b"3:0"


def test_senml_cbor_read_format_option(server):
    with Device(server.port, read_format=SENML_CBOR, ack_timeout=0.2) as device:
        assert content_format(server.request(device, GET, "/3/0")) == SENML_CBOR
        assert server.request(device, GET, "/3/0/9").payload == \
            bytes.fromhex("81 a2 21 66") + b"/3/0/9" + bytes.fromhex("02 18 5f")


# ---- block-wise transfers (RFC 7959) -------------------------------------------------------------

def test_block2_reads_and_follow_up_blocks(server):
    from lwm2m_device import BLOCK2, parse_block
    with Device(server.port, endpoint="blocks", ack_timeout=0.2, block_size=16) as device:
        whole = device._encode((3, 0), TLV)
        assert len(whole) > 48
        first = server.request(device, GET, "/3/0")
        assert parse_block(first.option(BLOCK2)) == (0, True, 0)
        assert first.payload == whole[:16] and content_format(first) == TLV
        body, num = first.payload, 1
        while True:
            block = server.request(device, GET, "/3/0",
                                   extra_options=[(BLOCK2, bytes([num << 4]))])
            got = parse_block(block.option(BLOCK2))
            assert got[0] == num and got[2] == 0
            body += block.payload
            if not got[1]:
                break
            num += 1
        assert body == whole
        # A block past the end is a bad option; a small answer stays whole.
        assert server.request(device, GET, "/3/0",
                              extra_options=[(BLOCK2, bytes([0x70, 0x00]))]).code == code("4.02")
        small = server.request(device, GET, "/3/0/9")
        assert small.payload == b"95" and small.option(BLOCK2) is None
        assert device.errors == []


def test_block2_on_a_device_without_block_size(server, device):
    from lwm2m_device import BLOCK2, parse_block
    whole = device._encode((3, 0), TLV)
    first = server.request(device, GET, "/3/0", extra_options=[(BLOCK2, bytes([0x00]))])
    assert parse_block(first.option(BLOCK2)) == (0, True, 0) and first.payload == whole[:16]
    # SZX 7 is reserved.
    assert server.request(device, GET, "/3/0", extra_options=[(BLOCK2, b"\x07")]).code == \
        code("4.02")


def test_block2_notifications_send_the_first_block(server):
    from lwm2m_device import BLOCK2, parse_block
    with Device(server.port, endpoint="blocks", ack_timeout=0.2, block_size=32) as device:
        response = server.request(device, GET, "/3/0", token=b"obs", observe=0)
        assert response.observe() == 1 and parse_block(response.option(BLOCK2)) == (0, True, 1)
        device.set_value("/3/0/9", 80, notify=True)
        notification = server.notification()
        assert notification.observe() == 2
        assert parse_block(notification.option(BLOCK2)) == (0, True, 1)
        assert notification.payload == device._encode((3, 0), TLV)[:32]


class BlockServer(FakeServer):
    """FakeServer answering Block1 registrations: 2.31 for a block with M=1, then the usual
    answer carrying the last Block1."""

    def _registration(self, message, peer):
        from lwm2m_device import BLOCK1, parse_block
        block = parse_block(message.option(BLOCK1))
        if block is None or not block[1]:
            return super()._registration(message, peer)
        self.registration.append(message)
        options = [(BLOCK1, message.option(BLOCK1))]
        self.sock.sendto(encode(ACK, code("2.31"), message.mid, message.token, options), peer)


def test_block1_registration_and_update():
    from lwm2m_device import BLOCK1, SIZE1, parse_block
    block_server = BlockServer()
    try:
        with Device(block_server.port, endpoint="big", ack_timeout=0.2) as device:
            for instance in range(1, 40):
                device.add_instance(3303, instance)
            links = device.object_links().encode()
            assert device.register(block1_size=64).code == code("2.01")
            assert device.location == ["rd", "5a3f"]
            blocks = block_server.registration
            assert len(blocks) == -(-len(links) // 64)
            assert b"".join(m.payload for m in blocks) == links
            for num, message in enumerate(blocks):
                assert parse_block(message.option(BLOCK1)) == (num, num + 1 < len(blocks), 2)
                assert uri(message, URI_QUERY)[0] == "ep=big"
            assert device.update(objects=True, block1_size=1024).code == code("2.04")
            assert block_server.registration[-1].payload == links[-(len(links) % 1024):]
            # A gap and a Size1 as asked.
            responses = device.request_blockwise(POST, ["rd"], [], links, LINK_FORMAT, 16,
                                                 order=[0, 2], size1=len(links))
            sent = block_server.registration[-2:]
            assert [parse_block(m.option(BLOCK1))[0] for m in sent] == [0, 2]
            assert int.from_bytes(sent[0].option(SIZE1), "big") == len(links)
            assert sent[1].option(SIZE1) is None and len(responses) == 2
            assert device.errors == []
    finally:
        block_server.close()


def test_block1_writes_are_reassembled(server):
    from lwm2m_device import BLOCK1, block_value, parse_block
    with Device(server.port, endpoint="blocks", ack_timeout=0.2, block_size=64) as device:
        text = b"y" * 300
        first = server.request(device, PUT, "/3/0/14", content_format=TEXT, payload=text[:128],
                               extra_options=[(BLOCK1, block_value(0, True, 3))])
        # Continue, asking for 64-byte blocks from now on.
        assert first.code == code("2.31") and parse_block(first.option(BLOCK1)) == (0, True, 2)
        offset, num = 128, 2
        while offset < len(text):
            more = offset + 64 < len(text)
            response = server.request(device, PUT, "/3/0/14", content_format=TEXT,
                                      payload=text[offset:offset + 64],
                                      extra_options=[(BLOCK1, block_value(num, more, 2))])
            offset, num = offset + 64, num + 1
        assert response.code == code("2.04")
        assert parse_block(response.option(BLOCK1)) == (num - 1, False, 2)
        assert device.get_value("/3/0/14") == text.decode()
        # A gap is 4.08.
        assert server.request(device, PUT, "/3/0/14", content_format=TEXT, payload=b"z" * 64,
                              extra_options=[(BLOCK1, block_value(3, True, 2))]).code == \
            code("4.08")
        assert device.errors == []
