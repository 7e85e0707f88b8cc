"""The STOMP gateway with Debian's python3-stomp (1.0, 1.1, 1.2) and MQTT peers."""
import queue
import socket
import time

import pytest
import stomp

import mqtt_raw
from mgmt_api import Api
from mqtt_raw import PUBLISH, V311, V5

pytestmark = pytest.mark.gatemq_only

CONNECTIONS = {"1.0": stomp.Connection10, "1.1": stomp.Connection11, "1.2": stomp.Connection12}


class Listener(stomp.ConnectionListener):
    def __init__(self):
        self.messages = queue.Queue()
        self.errors = queue.Queue()
        self.receipts = queue.Queue()
        self.disconnected = queue.Queue()

    def on_message(self, frame):
        self.messages.put(frame)

    def on_error(self, frame):
        self.errors.put(frame)

    def on_receipt(self, frame):
        self.receipts.put(frame.headers.get("receipt-id"))

    def on_disconnected(self):
        self.disconnected.put(True)


@pytest.fixture
def stomp_client(broker):
    created = []

    def make(version="1.2", login=None, passcode=None, heartbeats=(0, 0), connect=True,
             client_id=None):
        kwargs = {} if version == "1.0" else {"heartbeats": heartbeats}  # 1.0 has none
        conn = CONNECTIONS[version]([(broker.host, broker.stomp_port)], **kwargs)
        listener = Listener()
        conn.set_listener("", listener)
        if connect:
            headers = {"client-id": client_id} if client_id else None
            conn.connect(login, passcode, wait=True, headers=headers)
        created.append(conn)
        return conn, listener

    yield make
    for conn in created:
        try:
            conn.disconnect()
        except Exception:
            pass


def receipt(conn, listener, action, **kwargs):
    """Runs `action` with a receipt header and waits for the RECEIPT."""
    token = f"r-{time.monotonic_ns()}"
    action(headers={"receipt": token}, **kwargs)
    assert listener.receipts.get(timeout=10) == token


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_stomp_send_reaches_mqtt_subscriber(raw, stomp_client, version):
    subscriber = raw(V5)
    subscriber.connect("mqtt-sub")
    subscriber.subscribe("stomp/in", 1)
    conn, listener = stomp_client(version)
    conn.send("stomp/in", "from stomp", content_type="text/plain", headers={"k": "v"})
    message = subscriber.expect(PUBLISH)
    assert message.payload == b"from stomp"
    assert message.props[mqtt_raw.CONTENT_TYPE] == "text/plain"
    assert ("k", "v") in message.props[mqtt_raw.USER_PROPERTY]


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_mqtt_publish_reaches_stomp_subscriber(raw, stomp_client, version):
    conn, listener = stomp_client(version)
    receipt(conn, listener, conn.subscribe, destination="sensors/+/temp", id="sub-1", ack="auto")
    publisher = raw(V311)
    publisher.connect("mqtt-pub")
    publisher.publish("sensors/kitchen/temp", "21.5", qos=1, packet_id=1)
    frame = listener.messages.get(timeout=10)
    assert frame.body == "21.5"
    assert frame.headers["destination"] == "sensors/kitchen/temp"
    assert frame.headers["subscription"] == "sub-1"
    assert "message-id" in frame.headers


def test_client_ack_mode_redelivers_on_nack_and_completes_on_ack(raw, stomp_client):
    conn, listener = stomp_client("1.2")
    receipt(conn, listener, conn.subscribe, destination="acked", id="a", ack="client-individual")
    publisher = raw(V311)
    publisher.connect("pub")
    publisher.publish("acked", "one", qos=1, packet_id=1)
    first = listener.messages.get(timeout=10)
    assert first.headers["ack"]
    conn.nack(first.headers["ack"])
    again = listener.messages.get(timeout=10)
    assert again.body == "one"
    conn.ack(again.headers["ack"], receipt="acked-1")
    assert listener.receipts.get(timeout=10) == "acked-1"


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_transactions_commit_and_abort(raw, stomp_client, version):
    subscriber = raw(V311)
    subscriber.connect("tx-watch")
    subscriber.subscribe("tx/#", 0)
    conn, listener = stomp_client(version)
    tx = conn.begin()
    conn.send("tx/a", "dropped", transaction=tx)
    conn.abort(tx)
    tx = conn.begin()
    conn.send("tx/b", "kept", transaction=tx)
    receipt(conn, listener, conn.commit, transaction=tx)
    assert subscriber.expect(PUBLISH).payload == b"kept"


def test_receipt_on_disconnect(stomp_client):
    conn, listener = stomp_client("1.2")
    conn.disconnect(receipt="bye")  # stomp.py waits for the RECEIPT


def test_default_user_login(stomp_client):
    stomp_client("1.2", login="guest", passcode="guest")


@pytest.mark.broker_config({"stomp.allow_anonymous": "false"})
def test_wrong_passcode_gets_error(broker):
    with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
        sock.sendall(b"CONNECT\naccept-version:1.2\nlogin:guest\npasscode:nope\n\n\0")
        data = read_until_closed(sock)
    assert data.startswith(b"ERROR\n") and b"message:Login or passcode is wrong" in data


def read_until_closed(sock, timeout=10):
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


@pytest.mark.parametrize("payload,expected", [
    (b"SEND\ndestination:x\n\nbody\0", b"expected CONNECT"),
    (b"CONNECT\naccept-version:2.0\n\n\0", b"Supported protocol versions are 1.0,1.1,1.2"),
    (b"connect\n\n\0", b"malformed command"),
])
def test_bad_first_frames_get_error(broker, payload, expected):
    with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
        sock.sendall(payload)
        data = read_until_closed(sock)
    assert data.startswith(b"ERROR\n") and expected in data, data


@pytest.mark.parametrize("frame,expected", [
    (b"SEND\n" + b"".join(b"h%d:v\n" % i for i in range(11)) + b"\nx\0", b"max_headers"),
    (b"SEND\ndestination:" + b"d" * 1100 + b"\n\n\0", b"max_header_length"),
    (b"SEND\ndestination:x\n\n" + b"b" * 9000 + b"\0", b"max_body_length"),
    (b"SUBSCRIBE\ndestination:x\n\n\0", b"without an id"),
    (b"UNSUBSCRIBE\nid:nope\n\n\0", b"unknown subscription"),
    (b"COMMIT\ntransaction:nope\nreceipt:9\n\n\0", b"receipt-id:9"),
    (b"SEND\ndestination:x\\tbad\n\n\0", b"undefined escape"),
    (b"BOGUS\n\n\0", b"unknown command"),
])
def test_limits_and_malformed_frames_get_error(broker, frame, expected):
    with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
        sock.sendall(b"CONNECT\naccept-version:1.2\n\n\0")
        sock.sendall(frame)
        data = read_until_closed(sock)
    assert data.startswith(b"CONNECTED\n") and b"ERROR\n" in data and expected in data, data


def test_duplicate_subscription_id_is_an_error(broker):
    with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
        sock.sendall(b"CONNECT\naccept-version:1.2\n\n\0"
                     b"SUBSCRIBE\nid:0\ndestination:a\n\n\0SUBSCRIBE\nid:0\ndestination:b\n\n\0")
        data = read_until_closed(sock)
    assert b"duplicate subscription id 0" in data


@pytest.mark.parametrize("version", ["1.1", "1.2"])  # 1.0 has no heart-beating
def test_server_sends_heartbeats_and_drops_silent_clients(broker, version):
    with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
        # The client can send every 1 s and wants one every 1 s; then it stays silent.
        sock.sendall(b"CONNECT\naccept-version:" + version.encode() +
                     b"\nheart-beat:1000,1000\n\n\0")
        data = read_until_closed(sock, timeout=20)
    connected, _, rest = data.partition(b"\0")
    assert b"heart-beat:1000,1000" in connected
    assert rest.count(b"\n") >= 1  # at least one server heart-beat before the close


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_client_heartbeats_keep_the_connection(stomp_client, version):
    conn, listener = stomp_client(version, heartbeats=(1000, 1000))
    time.sleep(3.5)
    assert conn.is_connected()
    assert listener.disconnected.empty()


def test_takeover_by_client_id_between_stomp_and_mqtt(broker, raw):
    with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
        sock.sendall(b"CONNECT\naccept-version:1.2\nclient-id:shared\n\n\0")
        sock.settimeout(10)
        assert sock.recv(4096).startswith(b"CONNECTED")
        mqtt_client = raw(V5)
        assert mqtt_client.connect("shared").reason == 0
        read_until_closed(sock)  # the STOMP connection was taken over


def test_client_ack_mode_is_cumulative(raw, stomp_client):
    conn, listener = stomp_client("1.2")
    receipt(conn, listener, conn.subscribe, destination="cumulative", id="c", ack="client")
    publisher = raw(V311)
    publisher.connect("pub")
    for i in range(3):
        publisher.publish("cumulative", str(i), qos=1, packet_id=i + 1)
    frames = [listener.messages.get(timeout=10) for _ in range(3)]
    assert [f.body for f in frames] == ["0", "1", "2"]
    conn.ack(frames[2].headers["ack"], receipt="all-three")
    assert listener.receipts.get(timeout=10) == "all-three"
    # The first two were acknowledged with the third: a NACK for them redelivers nothing.
    conn.nack(frames[0].headers["ack"])
    publisher.publish("cumulative", "marker", qos=0)
    assert listener.messages.get(timeout=10).body == "marker"


def test_stomp_11_nack_redelivers_and_ack_completes(raw, stomp_client):
    conn, listener = stomp_client("1.1")
    receipt(conn, listener, conn.subscribe, destination="acked11", id="a",
            ack="client-individual")
    publisher = raw(V311)
    publisher.connect("pub")
    publisher.publish("acked11", "one", qos=1, packet_id=1)
    first = listener.messages.get(timeout=10)
    assert "ack" not in first.headers, "the ack header is 1.2's"
    conn.nack(first.headers["message-id"], "a")
    again = listener.messages.get(timeout=10)
    assert again.body == "one"
    conn.ack(again.headers["message-id"], "a", receipt="acked-11")
    assert listener.receipts.get(timeout=10) == "acked-11"


def test_stomp_10_client_ack(raw, stomp_client):
    conn, listener = stomp_client("1.0")
    receipt(conn, listener, conn.subscribe, destination="acked10", id="a", ack="client")
    publisher = raw(V311)
    publisher.connect("pub")
    publisher.publish("acked10", "one", qos=1, packet_id=1)
    first = listener.messages.get(timeout=10)
    conn.ack(first.headers["message-id"], receipt="acked-10")
    assert listener.receipts.get(timeout=10) == "acked-10"


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_unacknowledged_messages_come_back_after_a_reconnect(raw, stomp_client, version):
    """A client-id makes the session durable: what was unacknowledged at the disconnect, and
    what arrived while away, is delivered again once the client subscribes again."""
    conn, listener = stomp_client(version, client_id=f"durable-{version}")
    receipt(conn, listener, conn.subscribe, destination="durable/t", id="d", ack="client")
    publisher = raw(V311)
    publisher.connect("pub")
    publisher.publish("durable/t", "one", qos=1, packet_id=1)
    assert listener.messages.get(timeout=10).body == "one"
    conn.disconnect()  # without an ACK
    publisher.publish("durable/t", "two", qos=1, packet_id=2)
    again, listener = stomp_client(version, client_id=f"durable-{version}")
    receipt(again, listener, again.subscribe, destination="durable/t", id="d", ack="auto")
    assert [listener.messages.get(timeout=10).body for _ in range(2)] == ["one", "two"]
    again.disconnect()
    # auto-acknowledged this time: a third connection gets only what is new
    third, listener = stomp_client(version, client_id=f"durable-{version}")
    receipt(third, listener, third.subscribe, destination="durable/t", id="d")
    publisher.publish("durable/t", "three", qos=1, packet_id=3)
    assert listener.messages.get(timeout=10).body == "three"
    assert listener.messages.empty()


def test_anonymous_sessions_are_clean(raw, stomp_client):
    conn, listener = stomp_client("1.2")
    receipt(conn, listener, conn.subscribe, destination="clean/t", id="c", ack="client")
    publisher = raw(V311)
    publisher.connect("pub")
    publisher.publish("clean/t", "one", qos=1, packet_id=1)
    assert listener.messages.get(timeout=10).body == "one"
    conn.disconnect()
    again, listener = stomp_client("1.2")
    receipt(again, listener, again.subscribe, destination="clean/t", id="c")
    publisher.publish("clean/t", "two", qos=1, packet_id=2)
    assert listener.messages.get(timeout=10).body == "two"


def ack_by_the_rules_of(version, conn, frame, receipt, negative=False):
    """ACK (NACK) `frame` as each version names a message: 1.0 by `message-id`, 1.1 by
    `message-id` + `subscription`, 1.2 by `id`, the MESSAGE's `ack` header."""
    action = conn.nack if negative else conn.ack
    if version == "1.2":
        action(frame.headers["ack"], receipt=receipt)
    elif version == "1.1":
        action(frame.headers["message-id"], frame.headers["subscription"], receipt=receipt)
    else:
        action(frame.headers["message-id"], receipt=receipt)


@pytest.mark.parametrize("mode", ["client", "client-individual"])
@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_every_message_of_a_client_ack_subscription_is_acknowledged(broker, paho, stomp_client,
                                                                     version, qos, mode):
    """#26: QoS 0 deliveries had no `ack` header in 1.2, so a 1.2 client could not ACK them;
    now every MESSAGE of such a subscription is ACKed the version's way, and the ACK of a QoS 1
    or 2 delivery (delivered at the subscription's QoS 1) completes it in the session."""
    client_id = f"acker-{version}-{qos}-{mode}"
    conn, listener = stomp_client(version, client_id=client_id)
    receipt(conn, listener, conn.subscribe, destination="acks/t", id="s", ack=mode)
    paho("mqtt-pub").publish("acks/t", f"qos{qos}", qos=qos)
    frame = listener.messages.get(timeout=10)
    assert frame.body == f"qos{qos}"
    assert ("ack" in frame.headers) == (version == "1.2"), frame.headers
    api = Api(broker)
    assert api.get(f"/clients/{client_id}")[0]["inflight"] == (1 if qos else 0)
    ack_by_the_rules_of(version, conn, frame, receipt="acked")
    assert listener.receipts.get(timeout=10) == "acked"
    api.wait_for(f"/clients/{client_id}", lambda data: data[0]["inflight"] == 0)
    assert listener.errors.empty() and conn.is_connected()


@pytest.mark.parametrize("version", ["1.1", "1.2"])  # NACK came with 1.1
def test_nack_of_a_qos0_message_is_accepted_and_sends_nothing_again(paho, stomp_client, version):
    conn, listener = stomp_client(version)
    receipt(conn, listener, conn.subscribe, destination="nacks/t", id="s",
            ack="client-individual")
    publisher = paho("mqtt-pub")
    publisher.publish("nacks/t", "at most once", qos=0)
    frame = listener.messages.get(timeout=10)
    ack_by_the_rules_of(version, conn, frame, receipt="nacked", negative=True)
    assert listener.receipts.get(timeout=10) == "nacked"
    publisher.publish("nacks/t", "marker", qos=0)
    assert listener.messages.get(timeout=10).body == "marker"
    assert listener.errors.empty() and conn.is_connected()


def test_cumulative_ack_of_a_qos0_message_covers_earlier_ones(broker, paho, stomp_client):
    """`ack:client`: ACKing the last message, a QoS 0 one, acknowledges the QoS 1 ones before."""
    conn, listener = stomp_client("1.2", client_id="cumulative-0")
    receipt(conn, listener, conn.subscribe, destination="mixed/t", id="m", ack="client")
    publisher = paho("mqtt-pub")
    for qos in (1, 1, 0):
        publisher.publish("mixed/t", f"qos{qos}", qos=qos)
    frames = [listener.messages.get(timeout=10) for _ in range(3)]
    api = Api(broker)
    assert api.get("/clients/cumulative-0")[0]["inflight"] == 2
    conn.ack(frames[-1].headers["ack"], receipt="all")
    assert listener.receipts.get(timeout=10) == "all"
    api.wait_for("/clients/cumulative-0", lambda data: data[0]["inflight"] == 0)


def stomp_frames(sock, count, timeout=10):
    """The next `count` frames on `sock` (heart-beat EOLs skipped), as bytes without the NUL."""
    sock.settimeout(timeout)
    data = b""
    while data.lstrip(b"\r\n").count(b"\0") < count:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {data!r}"
        data += chunk
    return [frame.lstrip(b"\r\n") for frame in data.split(b"\0")[:count]]


def header(frame, name):
    for line in frame.split(b"\n")[1:]:
        if line.startswith(name + b":"):
            return line.split(b":", 1)[1]
    return None


def test_stompit_style_ack_of_a_qos0_message(broker, paho):
    """The report of #26, byte by byte: a 1.2 subscription with ack:client-individual, a QoS 0
    publish from MQTT; the MESSAGE carries `ack`, and an ACK by `subscription` + `message-id`
    (what stompit sends when it sees none) is accepted too."""
    with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
        sock.sendall(b"CONNECT\naccept-version:1.2\nhost:gatemq\n\n\0"
                     b"SUBSCRIBE\nid:1\ndestination:stompit/t\nack:client-individual\n"
                     b"receipt:subscribed\n\n\0")
        connected, subscribed = stomp_frames(sock, 2)
        assert connected.startswith(b"CONNECTED\n") and b"receipt-id:subscribed" in subscribed
        paho("mqtt-pub").publish("stompit/t", "qos0", qos=0)
        [message] = stomp_frames(sock, 1)
        assert message.startswith(b"MESSAGE\n") and message.endswith(b"qos0"), message
        assert header(message, b"ack") == header(message, b"message-id"), message
        sock.sendall(b"ACK\nsubscription:1\nmessage-id:" + header(message, b"message-id") +
                     b"\nreceipt:acked\n\n\0")
        [answer] = stomp_frames(sock, 1)
        assert answer.startswith(b"RECEIPT\n") and b"receipt-id:acked" in answer, answer


@pytest.mark.parametrize("command", ["ACK", "NACK"])
@pytest.mark.parametrize("version,id_header", [("1.0", "message-id"), ("1.1", "message-id"),
                                               ("1.2", "id")])
def test_ack_of_a_message_never_delivered_is_an_error(broker, version, id_header, command):
    """The spec: an ACK names a MESSAGE this connection received. Any other id is an ERROR (with
    the receipt-id) and the connection closes."""
    if command == "NACK" and version == "1.0":
        pytest.skip("1.0 has no NACK")
    with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
        sock.sendall(b"CONNECT\naccept-version:" + version.encode() + b"\n\n\0"
                     b"SUBSCRIBE\nid:1\ndestination:never/t\nack:client-individual\n\n\0" +
                     command.encode() + b"\nsubscription:1\n" + id_header.encode() +
                     b":1-99\nreceipt:bogus\n\n\0")
        data = read_until_closed(sock)
    assert data.startswith(b"CONNECTED\n") and b"ERROR\n" in data, data
    assert b"never delivered" in data and b"receipt-id:bogus" in data, data
