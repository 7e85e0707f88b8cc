"""MQTT over TLS (8883), WebSocket (8083) and WSS (8084), TLS-PSK and the PROXY protocol, with
real clients: mosquitto_pub/mosquitto_sub over TLS (server verification, client certificates,
PSK), paho over WebSocket, MQTT.js from npm over ws:// and wss://, and byte-level clients for
what real clients never send."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import time

import paho.mqtt.client as mqtt
import pytest

import mqtt_raw
import proxy_header
from conftest import CERTS, REPO, free_port
from websocket_raw import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, WebSocket, frame

pytestmark = pytest.mark.gatemq_only

CA = str(CERTS / "cacert.pem")
CLIENT_CERT = str(CERTS / "client-cert.pem")
CLIENT_KEY = str(CERTS / "client-key.pem")
CONNACK_OK = bytes([0x20, 0x02, 0x00, 0x00])
NODE_MODULES = REPO / "tests" / "e2e" / "js" / "node_modules"


def tls_context(cert=None, key=None, ca=CA):
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context


def mosquitto(tool, broker, *args, timeout=15):
    command = [f"/usr/bin/mosquitto_{tool}", "-h", "localhost", "-p", str(broker.ssl_port),
               "-i", f"{tool}-{os.getpid()}-{time.monotonic_ns()}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def start_sub(broker, topic, *args):
    """mosquitto_sub waiting for one message; returns the process once it is subscribed."""
    # stdbuf: mosquitto_sub's -d lines reach the pipe as they happen, SUBACK included.
    process = subprocess.Popen(
        ["stdbuf", "-oL", "/usr/bin/mosquitto_sub", "-h", "localhost", "-p", str(broker.ssl_port), "-t", topic,
         "-C", "1", "-W", "15", "-d", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "SUBACK" in line:
            return process, lines
    raise AssertionError("mosquitto_sub never subscribed:\n" + "".join(lines))


def make_untrusted_client_cert(directory):
    """A self-signed client certificate the broker's CA never signed."""
    key, cert = directory / "rogue-key.pem", directory / "rogue-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=rogue"], check=True,
                   capture_output=True)
    return str(cert), str(key)


# --- TLS -----------------------------------------------------------------------------------------

def test_tls_with_server_verification_both_ways(broker):
    sub, _ = start_sub(broker, "tls/t", "--cafile", CA)
    result = mosquitto("pub", broker, "--cafile", CA, "-t", "tls/t", "-m", "over tls", "-q", "1")
    assert result.returncode == 0, result.stderr
    out, _ = sub.communicate(timeout=15)
    assert sub.returncode == 0 and "over tls" in out


def test_tls_client_refuses_a_server_it_cannot_verify(broker, tmp_path):
    cert, _ = make_untrusted_client_cert(tmp_path)  # any other CA
    result = mosquitto("pub", broker, "--cafile", cert, "-t", "t", "-m", "x")
    assert result.returncode != 0
    # and the broker is unharmed
    assert mosquitto("pub", broker, "--cafile", CA, "-t", "t", "-m", "x").returncode == 0


@pytest.mark.broker_config({"listener.ssl.external.cacertfile": CA,
                            "listener.ssl.external.verify": "verify_peer",
                            "listener.ssl.external.fail_if_no_peer_cert": "true"})
def test_client_certificate_required(broker, tmp_path):
    ok = mosquitto("pub", broker, "--cafile", CA, "--cert", CLIENT_CERT, "--key", CLIENT_KEY,
                   "-t", "t", "-m", "with cert")
    assert ok.returncode == 0, ok.stderr
    without = mosquitto("pub", broker, "--cafile", CA, "-t", "t", "-m", "no cert", "-q", "1")
    assert without.returncode != 0
    rogue_cert, rogue_key = make_untrusted_client_cert(tmp_path)
    rogue = mosquitto("pub", broker, "--cafile", CA, "--cert", rogue_cert, "--key", rogue_key,
                      "-t", "t", "-m", "rogue", "-q", "1")
    assert rogue.returncode != 0
    assert "dropped during the TLS handshake" in broker.log()


@pytest.mark.broker_config({"listener.ssl.external.cacertfile": CA,
                            "listener.ssl.external.verify": "verify_peer",
                            "listener.ssl.external.fail_if_no_peer_cert": "false"})
def test_verify_peer_without_fail_if_no_peer_cert(broker, tmp_path):
    assert mosquitto("pub", broker, "--cafile", CA, "-t", "t", "-m", "x").returncode == 0
    rogue_cert, rogue_key = make_untrusted_client_cert(tmp_path)
    rogue = mosquitto("pub", broker, "--cafile", CA, "--cert", rogue_cert, "--key", rogue_key,
                      "-t", "t", "-m", "rogue", "-q", "1")
    assert rogue.returncode != 0, "a certificate that fails verification is still refused"


@pytest.mark.broker_config({"listener.ssl.external.cacertfile": CA,
                            "listener.ssl.external.verify": "verify_peer",
                            "listener.ssl.external.peer_cert_as_username": "cn",
                            "listener.ssl.external.peer_cert_as_clientid": "cn",
                            "listener.ssl.external.mountpoint": "%u/%c/"})
def test_peer_cert_cn_as_username_and_client_id(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe("client1/client1/#", 1)
    result = mosquitto("pub", broker, "--cafile", CA, "--cert", CLIENT_CERT, "--key", CLIENT_KEY,
                       "-u", "claimed-name", "-t", "data", "-m", "from cert", "-q", "1")
    assert result.returncode == 0, result.stderr
    message = watcher.expect()
    assert message.topic == "client1/client1/data" and message.payload == b"from cert"


def test_plain_tcp_client_on_the_tls_port_is_refused_cleanly(broker):
    plain = mqtt_raw.RawClient(broker.ssl_port)
    plain.send(mqtt_raw.connect("plain"))
    try:
        frames = plain.wait_closed(10)
    except TimeoutError:
        pytest.fail("the broker kept a non-TLS client open")
    assert all(not isinstance(f, mqtt_raw.Packet) for f in frames)
    # others are unharmed
    tls = mqtt_raw.RawClient(broker.ssl_port, tls=tls_context())
    tls.send(mqtt_raw.connect("tls"))
    assert tls.expect(mqtt_raw.CONNACK).reason == 0
    assert "dropped during the TLS handshake" in broker.log()


@pytest.mark.broker_config({"listener.ssl.external.handshake_timeout": "1s"})
def test_a_stalled_tls_handshake_times_out(broker):
    stalled = socket.create_connection((broker.host, broker.ssl_port), timeout=30)
    stalled.sendall(b"\x16\x03\x01")  # the start of a ClientHello, then nothing
    try:
        while stalled.recv(100):  # at most an alert, then the close
            pass
    except ConnectionResetError:
        pass
    assert "dropped during the TLS handshake: timed out" in broker.log()


def test_big_messages_over_tls_both_directions(broker, paho):
    tcp = paho("tcp-side")
    tcp.subscribe("big/from-tls", 1)
    tls = paho("tls-side", port=broker.ssl_port, tls={"ca_certs": CA})
    tls.subscribe("big/from-tcp", 1)
    payload = os.urandom(700_000)
    tls.publish("big/from-tls", payload, qos=1)
    tcp.publish("big/from-tcp", payload[::-1], qos=1)
    assert tcp.expect().payload == payload
    assert tls.expect().payload == payload[::-1]


@pytest.mark.broker_config({"listener.ssl.external.ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256"})
def test_cipher_list_is_honoured(broker):
    client = mqtt_raw.RawClient(broker.ssl_port, tls=tls_context())
    assert client.sock.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"
    assert client.sock.version() == "TLSv1.2"
    context = tls_context()
    context.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384")
    with pytest.raises(ssl.SSLError):
        mqtt_raw.RawClient(broker.ssl_port, tls=context)


def test_tls_sessions_are_resumed(broker):
    context = tls_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2  # session reuse as TLS 1.2 clients do it
    first = context.wrap_socket(socket.create_connection((broker.host, broker.ssl_port)),
                                server_hostname="localhost")
    session = first.session
    first.close()
    second = context.wrap_socket(socket.create_connection((broker.host, broker.ssl_port)),
                                 server_hostname="localhost", session=session)
    assert second.session_reused
    second.close()


@pytest.mark.broker_config({"listener.ssl.external.access.1": "deny 127.0.0.0/8",
                            "listener.ssl.external.access.2": "allow all",
                            "listener.ws.external.max_connections": "1"})
def test_access_rules_and_limits_apply_to_tls_and_websocket_listeners(broker):
    denied = socket.create_connection((broker.host, broker.ssl_port), timeout=10)
    assert denied.recv(10) == b""
    # The start-up probe's connection may still hold the one slot for a moment.
    deadline = time.monotonic() + 10
    while True:
        try:
            first = WebSocket(broker.ws_port)
            break
        except (ConnectionError, OSError):
            assert time.monotonic() < deadline, "the only slot never freed"
            time.sleep(0.05)
    assert first.status == 101
    second = socket.create_connection((broker.host, broker.ws_port), timeout=10)
    assert second.recv(10) == b"", "max_connections = 1"


# --- TLS-PSK -------------------------------------------------------------------------------------

@pytest.fixture
def psk_file(tmp_path):
    path = tmp_path / "psk.txt"
    path.write_text("# identity:secret\nsensor1:s3cret-key\nsensor2:other\n")
    return path


def test_tls_psk_with_mosquitto(broker, tmp_path, psk_file):
    broker.overrides.update({"psk.file.path": str(psk_file)})
    broker.restart()
    key = "s3cret-key".encode().hex()
    # QoS 1 makes mosquitto_pub wait for the broker's answer, so a failed handshake shows.
    ok = mosquitto("pub", broker, "--psk", key, "--psk-identity", "sensor1", "-t", "t", "-m", "p",
                   "-q", "1")
    assert ok.returncode == 0, ok.stderr
    wrong = mosquitto("pub", broker, "--psk", "0badc0de", "--psk-identity", "sensor1",
                      "-t", "t", "-m", "p", "-q", "1")
    assert wrong.returncode != 0
    unknown = mosquitto("pub", broker, "--psk", key, "--psk-identity", "nobody", "-t", "t",
                        "-m", "p", "-q", "1")
    assert unknown.returncode != 0
    # certificate clients still work beside PSK
    assert mosquitto("pub", broker, "--cafile", CA, "-t", "t", "-m", "x").returncode == 0


# --- WebSocket -----------------------------------------------------------------------------------

@pytest.mark.parametrize("secure", [False, True], ids=["ws", "wss"])
@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5], ids=["v311", "v5"])
def test_paho_over_websocket(broker, paho, secure, protocol):
    port = broker.wss_port if secure else broker.ws_port
    tls = {"ca_certs": CA} if secure else None
    web = paho("web", transport="websockets", port=port, tls=tls, protocol=protocol)
    tcp = paho("tcp")
    web.subscribe("ws/down", 1)
    tcp.subscribe("ws/up", 1)
    big = os.urandom(300_000)  # paho sends it as one frame; we send it back the same way
    web.publish("ws/up", big, qos=1)
    tcp.publish("ws/down", big[::-1], qos=1)
    assert tcp.expect().payload == big
    assert web.expect().payload == big[::-1]


@pytest.mark.parametrize("secure", [False, True], ids=["ws", "wss"])
def test_mqttjs_over_websocket(broker, paho, secure):
    if not (NODE_MODULES / "mqtt").exists():
        pytest.fail("MQTT.js missing: run `npm ci` in tests/e2e/js (.ci/run does)")
    node = shutil.which("node")
    scheme, port = ("wss", broker.wss_port) if secure else ("ws", broker.ws_port)
    tcp = paho("tcp")
    tcp.subscribe("js/out", 1)
    command = [node, str(NODE_MODULES.parent / "mqttjs_client.js"),
               f"{scheme}://localhost:{port}/mqtt", "--prefix", "js", "--size", "200000",
               "--expect", "2", "--ca", CA]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if line.strip() == "subscribed":
            break
    assert lines[-1:] == ["subscribed"], lines
    tcp.publish("js/in/a", b"first", qos=1)
    tcp.publish("js/in/b", b"s" * 150_000, qos=1)
    out, _ = process.communicate(timeout=30)
    lines += out.splitlines()
    assert process.returncode == 0, lines
    received = [json.loads(line) for line in lines if line.startswith("{")]
    assert [(m["topic"], m["size"]) for m in received] == [("js/in/a", 5), ("js/in/b", 150_000)]
    message = tcp.expect()
    assert message.payload == b"j" * 200_000


def test_one_packet_over_many_frames_and_many_packets_in_one_frame(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe("split/#", 1)
    ws = WebSocket(broker.ws_port)
    assert ws.status == 101 and ws.headers["sec-websocket-protocol"] == "mqtt"
    connect = mqtt_raw.connect("splitter")
    for i in range(len(connect)):  # one byte per frame
        ws.send_binary(connect[i:i + 1])
    assert ws.recv_binary(4) == CONNACK_OK
    batch = b"".join(mqtt_raw.publish(f"split/{i}", f"m{i}") for i in range(5))
    ws.send_binary(batch)  # five packets in one frame
    # and one message fragmented: binary + continuation frames
    packet = mqtt_raw.publish("split/fragmented", b"f" * 1000)
    ws.send(frame(OP_BINARY, packet[:10], fin=False) + frame(0, packet[10:500], fin=False) +
            frame(OP_PING, b"hello") + frame(0, packet[500:], fin=True))
    payloads = watcher.expect_payloads(6)
    assert payloads == [f"m{i}".encode() for i in range(5)] + [b"f" * 1000]
    fin, opcode, payload = ws.recv_frame()
    assert (opcode, payload) == (OP_PONG, b"hello")


@pytest.mark.parametrize("offered, agreed", [(["mqttv3.1"], "mqttv3.1"),
                                             (["chat", "mqttv3.1.1"], "mqttv3.1.1"),
                                             (["MQTT"], "MQTT")])
def test_subprotocols(broker, offered, agreed):
    ws = WebSocket(broker.ws_port, protocols=offered)
    assert ws.status == 101 and ws.headers["sec-websocket-protocol"] == agreed


def test_upgrade_refusals(broker):
    assert WebSocket(broker.ws_port, path="/other").status == 404
    assert WebSocket(broker.ws_port, protocols=()).status == 400, "verify_protocol_header"
    assert WebSocket(broker.ws_port, protocols=("chat",)).status == 400
    bad_version = socket.create_connection((broker.host, broker.ws_port))
    bad_version.sendall(b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        b"Sec-WebSocket-Version: 8\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
    response = bad_version.recv(1000)
    assert response.startswith(b"HTTP/1.1 426") and b"Sec-WebSocket-Version: 13" in response
    garbage = socket.create_connection((broker.host, broker.ws_port))
    garbage.sendall(mqtt_raw.connect("not-http"))
    garbage.settimeout(10)
    assert garbage.recv(1000).startswith(b"HTTP/1.1 400")


@pytest.mark.broker_config({"listener.ws.external.verify_protocol_header": "off",
                            "listener.ws.external.mqtt_path": "/custom"})
def test_without_protocol_header_and_custom_path(broker):
    ws = WebSocket(broker.ws_port, path="/custom?token=abc", protocols=())
    assert ws.status == 101 and "sec-websocket-protocol" not in ws.headers
    ws.send_binary(mqtt_raw.connect("no-protocol"))
    assert ws.recv_binary(4) == CONNACK_OK


def test_protocol_errors_close_with_the_right_code(broker):
    text = WebSocket(broker.ws_port)
    text.send(frame(OP_TEXT, b"hello"))
    assert text.expect_close() == 1003
    unmasked = WebSocket(broker.ws_port)
    unmasked.send(frame(OP_BINARY, mqtt_raw.connect("u"), mask=False))
    assert unmasked.expect_close() == 1002
    polite = WebSocket(broker.ws_port)
    polite.send_binary(mqtt_raw.connect("polite"))
    assert polite.recv_binary(4) == CONNACK_OK
    polite.send(frame(OP_CLOSE, b"\x03\xe8"))
    assert polite.expect_close() == 1000


@pytest.mark.broker_config({"listener.ws.external.max_frame_size": "1KB"})
def test_max_frame_size(broker):
    ws = WebSocket(broker.ws_port)
    ws.send_binary(mqtt_raw.connect("limited"))
    assert ws.recv_binary(4) == CONNACK_OK
    ws.send_binary(mqtt_raw.publish("t", b"x" * 2000))
    assert ws.expect_close() == 1009


@pytest.mark.broker_config({"listener.ws.external.check_origin_enable": "true",
                            "listener.ws.external.allowed_origins": "https://app.example"})
def test_origin_check(broker):
    assert WebSocket(broker.ws_port, headers={"Origin": "https://app.example"}).status == 101
    assert WebSocket(broker.ws_port, headers={"Origin": "https://evil.example"}).status == 403
    assert WebSocket(broker.ws_port).status == 403, "no Origin at all"


@pytest.mark.broker_config({"listener.ws.external.proxy_address_header": "X-Forwarded-For",
                            "listener.ws.external.proxy_port_header": "X-Forwarded-Port",
                            "listener.ws.external.mountpoint": "%a/"})
def test_forwarded_address_headers(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe("203.0.113.9/#", 0)
    ws = WebSocket(broker.ws_port, headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1",
                                            "X-Forwarded-Port": "40001"})
    ws.send_binary(mqtt_raw.connect("behind-proxy"))
    assert ws.recv_binary(4) == CONNACK_OK
    ws.send_binary(mqtt_raw.publish("hello", b"via proxy"))
    assert watcher.expect().topic == "203.0.113.9/hello"
    assert "203.0.113.9:40001" in broker.log()


def test_wss_with_byte_level_client(broker):
    ws = WebSocket(broker.wss_port, tls_context=tls_context())
    assert ws.status == 101
    ws.send_binary(mqtt_raw.connect("wss-raw"))
    assert ws.recv_binary(4) == CONNACK_OK


@pytest.mark.broker_config({"listener.ws.external.idle_timeout": "1s"})
def test_an_upgrade_that_never_comes_times_out(broker):
    idle = socket.create_connection((broker.host, broker.ws_port), timeout=30)
    idle.sendall(b"GET /mqtt HTTP/1.1\r\n")
    assert idle.recv(100) == b""
    assert "dropped during the WebSocket upgrade: timed out" in broker.log()


# --- PROXY protocol ------------------------------------------------------------------------------

@pytest.mark.broker_config({"listener.tcp.external.proxy_protocol": "on",
                            "listener.tcp.external.mountpoint": "%a/"})
@pytest.mark.parametrize("version", [1, 2])
def test_proxy_protocol_on_tcp(broker, paho, version):
    watcher = paho("watcher", port=broker.internal_port)
    watcher.subscribe("198.51.100.4/#", 0)
    header = proxy_header.encode(version, "198.51.100.4", 51000, "127.0.0.1", broker.port)
    # the header and CONNECT in one segment: nothing of CONNECT may be lost
    client = mqtt_raw.RawClient(broker.port, before=header + mqtt_raw.connect("proxied"))
    assert client.expect(mqtt_raw.CONNACK).reason == 0
    client.send(mqtt_raw.publish("hi", b"x"))
    assert watcher.expect().topic == "198.51.100.4/hi"
    assert "198.51.100.4:51000" in broker.log()


@pytest.mark.broker_config({"listener.ssl.external.proxy_protocol": "on",
                            "listener.ssl.external.mountpoint": "%a/"})
def test_proxy_protocol_v2_before_tls(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe("2001:db8::7/#", 0)
    header = proxy_header.encode(2, "2001:db8::7", 443, "::1", 8883)
    client = mqtt_raw.RawClient(broker.ssl_port, before=header, tls=tls_context())
    client.send(mqtt_raw.connect("proxied-tls"))
    assert client.expect(mqtt_raw.CONNACK).reason == 0
    client.send(mqtt_raw.publish("hi", b"x"))
    assert watcher.expect().topic == "2001:db8::7/hi"


@pytest.mark.broker_config({"listener.tcp.external.proxy_protocol": "on",
                            "listener.tcp.external.proxy_protocol_timeout": "1s"})
def test_proxy_protocol_required_when_on(broker):
    direct = mqtt_raw.RawClient(broker.port)
    direct.send(mqtt_raw.connect("no-header"))
    assert direct.wait_closed() == []
    silent = mqtt_raw.RawClient(broker.port)
    assert silent.wait_closed(30) == [], "closed after proxy_protocol_timeout"
    assert "dropped during the PROXY header" in broker.log()
    local = mqtt_raw.RawClient(broker.port, before=proxy_header.encode(2, None, 0, None, 0) +
                               mqtt_raw.connect("health-check"))
    assert local.expect(mqtt_raw.CONNACK).reason == 0, "LOCAL keeps the socket's address"


# --- gateways over TLS ---------------------------------------------------------------------------

def test_tcp_gateway_over_tls(broker, paho):
    import tcp_device
    watcher = paho("watcher")
    watcher.subscribe("tcp/+/up", 0)
    device = tcp_device.Device(broker.tcp_gateway_ssl_port, tls=tls_context())
    assert device.connect("tls-device")[0] == 0
    device.send(tcp_device.datatrans_frame(b"reading"))
    message = watcher.expect()
    assert (message.topic, message.payload) == ("tcp/tls-device/up", b"reading")


def test_stomp_over_tls(broker, paho):
    import stomp
    tls_port = free_port()
    broker.overrides.update({"stomp.listener.ssl": f"127.0.0.1:{tls_port}",
                             "stomp.listener.ssl.keyfile": str(CERTS / "key.pem"),
                             "stomp.listener.ssl.certfile": str(CERTS / "cert.pem")})
    broker.restart()
    wait_listening(tls_port)
    watcher = paho("watcher")
    watcher.subscribe("stomp/tls", 0)
    connection = stomp.Connection12([("localhost", tls_port)])
    connection.set_ssl(for_hosts=[("localhost", tls_port)], ca_certs=CA)
    connection.connect("guest", "guest", wait=True)
    connection.send("stomp/tls", "secure frame")
    assert watcher.expect().payload == b"secure frame"
    connection.disconnect()


def wait_listening(port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def test_a_missing_certificate_is_a_clear_start_up_error(tmp_path):
    config = tmp_path / "gatemq.conf"
    config.write_text("listener.tcp.external = 127.0.0.1:0\nlistener.tcp.internal = off\n"
                      "listener.ws.external = off\nlistener.wss.external = off\n"
                      "tcp.enable = off\nstomp.enable = off\n"
                      "listener.ssl.external = 127.0.0.1:0\n"
                      "listener.ssl.external.certfile = missing/cert.pem\n"
                      "log.to = console\n")
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--config", str(config)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    assert (f"listener ssl:external: cannot load certfile 'missing/cert.pem' (relative to "
            f"{tmp_path})") in result.stdout + result.stderr
