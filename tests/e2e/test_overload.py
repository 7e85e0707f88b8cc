"""Flow control when publishers outrun their subscribers (docs/configuration.md, "Flow control"):
publishers are held back while a subscriber they feed is behind, so a subscriber that reads
slowly still gets every QoS 0 message; one that stops reading altogether is given up on after
max_publisher_hold, its QoS 0 messages past max_output_buffer are dropped and counted, and
nobody else waits for it. No test here depends on speed: sizes are chosen so that a flood is
far larger than any buffer, and every wait is for a count."""
import socket
import threading
import time

import pytest

import mqtt_raw
import tcp_device
from mgmt_api import Api
from mqttsn_e2e import sn  # noqa: F401 (fixture)
from tcp_device import Device

NODE = "gatemq@127.0.0.1"
PAYLOAD = b"x" * 1000


def metrics(broker):
    return Api(broker).get(f"/nodes/{NODE}/metrics")


def rss_bytes(broker):
    with open(f"/proc/{broker.process.pid}/statm") as f:
        return int(f.read().split()[1]) * 4096


def assert_rss_grew_less_than(broker, before, limit):
    """Under AddressSanitizer freed memory stays in its quarantine (256 MB by default), so RSS
    says nothing about what the broker holds: the bound is checked on the normal build only."""
    with open(f"/proc/{broker.process.pid}/maps") as f:
        if "libasan" in f.read():
            return
    assert rss_bytes(broker) - before < limit


def flood(broker, client_id, topic, count):
    """Connects and writes `count` QoS 0 PUBLISHes as fast as TCP takes them, then DISCONNECT."""
    client = mqtt_raw.RawClient(broker.port)
    client.connect(client_id)
    packet = mqtt_raw.publish(topic, PAYLOAD)
    batch = 100
    client.sock.settimeout(120)
    for _ in range(count // batch):
        client.send(packet * batch)
    client.send(mqtt_raw.disconnect())
    client.close()


def start_floods(broker, topic, publishers, count):
    threads = [threading.Thread(target=flood, args=(broker, f"flood-{i}", topic, count))
               for i in range(publishers)]
    for thread in threads:
        thread.start()
    return threads


class SlowReader:
    """A subscriber that reads its socket in small sips with pauses (far slower than the
    publishers write) and counts the PUBLISHes it got."""

    def __init__(self, broker, client_id, topic_filter, sip=32768, pause=0.002):
        self.client = mqtt_raw.RawClient(broker.port)
        self.client.connect(client_id)
        self.client.subscribe(topic_filter)
        self.sip, self.pause = sip, pause
        self.received = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        sock = self.client.sock
        sock.settimeout(0.5)
        while not self.stop.is_set():
            try:
                chunk = sock.recv(self.sip)
            except socket.timeout:
                continue
            if not chunk:
                return
            self.client.buffer += chunk
            while (packet := self.client._parse()) is not None:
                if packet.type == mqtt_raw.PUBLISH:
                    self.received += 1
            time.sleep(self.pause)

    def wait_for(self, count, timeout=120):
        deadline = time.monotonic() + timeout
        while self.received < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.client.close()


# A hold long enough that no publisher gives up on the subscriber, however slow this machine is.
@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_publisher_hold": "10m"})
def test_a_slow_subscriber_gets_every_qos0_message_of_faster_publishers(broker):
    publishers, each = 3, 10000  # 30 MB, far more than the 8 MB a subscriber may have queued
    reader = SlowReader(broker, "slow", "flow/#")
    try:
        floods = start_floods(broker, "flow/t", publishers, each)
        for thread in floods:
            thread.join(300)
        assert reader.wait_for(publishers * each) == publishers * each
    finally:
        reader.close()
    counters = metrics(broker)
    assert counters["messages/dropped/slow_subscriber"] == 0
    assert counters["publishers/held"] >= 1  # the publishers really were faster


@pytest.mark.gatemq_only
def test_a_subscriber_that_stops_reading_holds_nobody_back_and_its_backlog_is_bounded(
        broker, paho):
    stuck = mqtt_raw.RawClient(broker.port)
    stuck.connect("stuck")
    stuck.subscribe("flood/#")  # and never reads again
    bystander_sub = paho("bystander-sub")
    bystander_sub.subscribe("other/t", qos=1)
    bystander_pub = paho("bystander-pub")
    rss_before = rss_bytes(broker)

    publishers, each = 2, 50000  # 100 MB toward a subscriber that reads nothing
    floods = start_floods(broker, "flood/t", publishers, each)
    for i in range(100):
        bystander_pub.publish("other/t", str(i), qos=1)
    assert [int(p) for p in bystander_sub.expect_payloads(100, timeout=60)] == list(range(100))
    for thread in floods:
        thread.join(300)
        assert not thread.is_alive(), "a publisher stayed blocked behind the stuck subscriber"

    counters = metrics(broker)
    assert counters["messages/dropped/slow_subscriber"] > 0
    assert counters["publishers/held"] >= 1
    # Queued for the stuck subscriber: at most max_output_buffer (8 MB) plus what the kernel
    # buffers; generous room for allocator slack, far below the 100 MB sent at it.
    assert_rss_grew_less_than(broker, rss_before, 48 * 2**20)
    stuck.close()


def slow_qos1_subscriber(broker, client_id, topic_filter, expected, received):
    """Subscribes at QoS 1 and acknowledges each PUBLISH after a pause, until `expected` came."""
    client = mqtt_raw.RawClient(broker.port)
    client.connect(client_id)
    client.subscribe(topic_filter, qos=1)
    try:
        while len(received) < expected:
            packet = client.recv(timeout=60)
            if packet.type != mqtt_raw.PUBLISH:
                continue
            received.append(packet)
            time.sleep(0.001)
            client.send(mqtt_raw.ack(mqtt_raw.PUBACK, packet.packet_id))
    finally:
        client.close()


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_mqueue_len": "200",
                            "zone.external.max_inflight": "10",
                            "zone.external.max_publisher_hold": "10m"})
def test_a_slow_qos1_subscriber_loses_nothing_where_its_queue_would_overflow(broker):
    count = 3000  # 15 times what the subscriber's queue may hold
    received = []
    subscriber = threading.Thread(target=slow_qos1_subscriber,
                                  args=(broker, "slow-qos1", "q/#", count, received))
    subscriber.start()
    deadline = time.monotonic() + 10
    while not Api(broker).get("/subscriptions") and time.monotonic() < deadline:
        time.sleep(0.05)

    publisher = mqtt_raw.RawClient(broker.port)
    publisher.connect("fast-qos1")
    publisher.sock.settimeout(120)
    # Pipelined, as fast as TCP takes them: nothing waits for the PUBACKs.
    publisher.send(b"".join(mqtt_raw.publish("q/t", b"%06d" % i + PAYLOAD, qos=1,
                                             packet_id=i % 65535 + 1) for i in range(count)))
    subscriber.join(300)
    publisher.close()
    payloads = [int(packet.payload[:6]) for packet in received]
    assert payloads == list(range(count))
    assert metrics(broker)["messages/dropped"] == 0


def stuck_stomp_subscriber(broker, destination):
    """A STOMP 1.2 client that subscribes (ack:auto) and then never reads its socket again."""
    sock = socket.create_connection((broker.host, broker.stomp_port), timeout=10)
    sock.sendall(b"CONNECT\naccept-version:1.2\nhost:gatemq\n\n\x00")
    sock.sendall(f"SUBSCRIBE\nid:1\ndestination:{destination}\nack:auto\nreceipt:r1\n\n\x00"
                 .encode())
    received = b""
    while b"receipt-id:r1" not in received:
        chunk = sock.recv(4096)
        assert chunk, f"the STOMP gateway closed the connection: {received!r}"
        received += chunk
    return sock


@pytest.mark.gatemq_only
def test_a_stomp_subscriber_that_stops_reading_cannot_grow_the_broker_without_bound(broker):
    stuck = stuck_stomp_subscriber(broker, "/queue/flood")
    rss_before = rss_bytes(broker)
    floods = start_floods(broker, "/queue/flood", 2, 50000)  # 100 MB at it
    for thread in floods:
        thread.join(300)
        assert not thread.is_alive()
    assert metrics(broker)["messages/dropped/slow_subscriber"] > 0
    assert_rss_grew_less_than(broker, rss_before, 48 * 2**20)
    stuck.close()


# ---- gateway publishers ------------------------------------------------------------------------

def stomp_flood(broker, destination, count):
    """A STOMP 1.2 client that SENDs `count` messages as fast as TCP takes them."""
    sock = socket.create_connection((broker.host, broker.stomp_port), timeout=120)
    sock.sendall(b"CONNECT\naccept-version:1.2\nhost:gatemq\n\n\x00")
    received = b""
    while b"CONNECTED" not in received:
        chunk = sock.recv(4096)
        assert chunk, f"the STOMP gateway closed the connection: {received!r}"
        received += chunk
    frame = (f"SEND\ndestination:{destination}\ncontent-length:{len(PAYLOAD)}\n\n".encode()
             + PAYLOAD + b"\x00")
    for sent in range(0, count, 100):
        sock.sendall(frame * min(100, count - sent))
    sock.sendall(b"DISCONNECT\nreceipt:bye\n\n\x00")
    while b"receipt-id:bye" not in received:  # everything before it was handled
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    sock.close()


def tcp_device_flood(broker, client_id, count):
    """A TCP-gateway device that sends `count` DATATRANS frames as fast as TCP takes them."""
    device = Device(broker.tcp_gateway_port)
    device.sock.settimeout(120)
    device.connect(client_id)
    frame = tcp_device.datatrans_frame(PAYLOAD)
    for _ in range(count // 100):
        device.send(frame * 100)
    device.send(bytes([tcp_device.DISCONNECT << 4]) + b"\x00\x00")
    device.close()


def run_all(targets):
    threads = [threading.Thread(target=target, args=args) for target, args in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
        assert not thread.is_alive()


# Without the hold, gateway publishers outrun the subscriber and its QoS 0 messages past
# max_output_buffer are dropped.
@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_publisher_hold": "10m"})
def test_stomp_senders_are_held_for_a_slow_mqtt_subscriber_that_gets_every_message(broker):
    publishers, each = 3, 10000  # 30 MB, far more than the 8 MB a subscriber may have queued
    reader = SlowReader(broker, "slow", "flow/#")
    try:
        run_all([(stomp_flood, (broker, "flow/t", each))] * publishers)
        assert reader.wait_for(publishers * each) == publishers * each
    finally:
        reader.close()
    counters = metrics(broker)
    assert counters["messages/dropped/slow_subscriber"] == 0
    assert counters["publishers/held"] >= 1


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_publisher_hold": "10m"})
def test_tcp_gateway_devices_are_held_for_a_slow_mqtt_subscriber_that_gets_every_message(broker):
    publishers, each = 3, 10000
    reader = SlowReader(broker, "slow", "tcp/+/up")
    try:
        run_all([(tcp_device_flood, (broker, f"dev-{i}", each)) for i in range(publishers)])
        assert reader.wait_for(publishers * each) == publishers * each
    finally:
        reader.close()
    counters = metrics(broker)
    assert counters["messages/dropped/slow_subscriber"] == 0
    assert counters["publishers/held"] >= 1


# The regression: a flood toward one subscriber that stopped reading, from MQTT and STOMP
# publishers at once, while an MQTT-SN device and a STOMP client publish to others, who get all
# of it; the flooders are not blocked for good either.
@pytest.mark.gatemq_only
def test_a_flood_toward_a_stuck_subscriber_does_not_starve_gateway_clients(broker, paho, sn):
    stuck = mqtt_raw.RawClient(broker.port)
    stuck.connect("stuck")
    stuck.subscribe("flood/#")  # and never reads again
    bystander = paho("bystander")
    bystander.subscribe("other/#", qos=1)
    device = sn("sn-device")
    topic_id = device.register("other/sn")
    floods = [threading.Thread(target=target, args=args) for target, args in
              [(flood, (broker, "mqtt-flood", "flood/t", 30000)),
               (stomp_flood, (broker, "flood/s", 30000))]]
    for thread in floods:
        thread.start()
    for i in range(50):
        assert device.publish(topic_id, str(i), qos=1) == 0
    stomp_flood(broker, "other/stomp", 50)
    payloads = bystander.expect_payloads(100, timeout=60)
    assert sorted(int(p) for p in payloads if len(p) < 10) == list(range(50))
    assert sum(1 for p in payloads if p == PAYLOAD) == 50
    for thread in floods:
        thread.join(300)
        assert not thread.is_alive(), "a flooder stayed blocked behind the stuck subscriber"
    assert metrics(broker)["messages/dropped/slow_subscriber"] > 0
    stuck.close()
