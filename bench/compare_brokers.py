"""The brokers bench/compare measures, as processes it owns: Debian's mosquitto and gatemq, and for
the gateway scenarios the peers users would pick instead (the Paho MQTT-SN gateway in front of a
mosquitto, RabbitMQ's STOMP plugin). Each starts on free loopback ports from a configuration
written to a temporary directory, exposes its processes' CPU time and RSS from /proc, and is
stopped (SIGTERM, then SIGKILL) and its directory removed afterwards."""
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port(udp=False):
    with socket.socket(type=socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_reply(port, request, accepted, what, log, then=bytes(), timeout=10):
    """Sends `request` to an MQTT-SN gateway's UDP port until a reply passes `accepted`, then
    sends `then`: its socket gives no sign of life to a TCP probe, and a CONNECT sent before it
    is bound would fail a publisher's handshake."""
    deadline = time.monotonic() + timeout
    with socket.socket(type=socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.5)
        probe.connect(("127.0.0.1", port))
        while time.monotonic() < deadline:
            try:
                probe.send(request)
                if accepted(probe.recv(64)):
                    if then:
                        probe.send(then)
                    return
            except OSError:  # timeout, or ICMP port unreachable: not bound yet
                time.sleep(0.05)
    raise RuntimeError(f"no {what} from the MQTT-SN gateway on UDP {port}:\n{log()}")


def wait_for_gwinfo(port, log):
    """SEARCHGW (radius 0) until GWINFO."""
    wait_for_reply(port, bytes([3, 0x01, 0]), lambda r: len(r) >= 2 and r[1] == 0x02, "GWINFO",
                   log)


def wait_for_connack(port, log):
    """CONNECT until an accepting CONNACK, then DISCONNECT: for a gateway that answers SEARCHGW
    by multicast only (Paho's), so a probe never sees the GWINFO. The CONNACK also shows that
    the gateway got through to its broker."""
    client_id = b"gatemq-compare-probe"
    connect = bytes([6 + len(client_id), 0x04, 0x04, 0x01, 0, 10]) + client_id  # clean, 10 s
    wait_for_reply(port, connect, lambda r: len(r) >= 3 and r[1] == 0x05 and r[2] == 0,
                   "CONNACK", log, then=bytes([2, 0x18]))  # DISCONNECT
    time.sleep(0.3)  # let the gateway drop the probe's broker connection


def raise_file_limit():
    """Soft limit of open files up to the hard one (children inherit it); returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def process_stat(pid):
    """(CPU seconds, RSS bytes) of one process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    with open(f"/proc/{pid}/statm") as f:
        rss = int(f.read().split()[1]) * PAGE_SIZE
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, rss


def stop_process(process, timeout=15):
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path, size=4000):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - size))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


class PeerMissing(Exception):
    """A peer bench/compare compares against is not installed here: the report says so."""


class Broker:
    name = "?"
    # What the broker takes besides MQTT over TCP ("mqttsn", "stomp"): enable() turns it on.
    extra_protocols = ()
    start_timeout = 15  # seconds until its port answers

    def __init__(self):
        self.port = free_port()
        self.mqttsn_port = None
        self.stomp_port = None
        self.directory = tempfile.mkdtemp(prefix=f"gatemq-compare-{self.name}-")
        self.process = None
        self.log_path = os.path.join(self.directory, "broker.log")
        self.log_file = None

    def unsupported(self, protocol):
        """Why this broker cannot run a scenario over `protocol`, or None when it can."""
        return None if protocol in self.extra_protocols else f"no {protocol} support"

    def enable(self, protocol):
        if protocol == "mqttsn":
            self.mqttsn_port = free_port(udp=True)
        elif protocol == "stomp":
            self.stomp_port = free_port()

    def command(self):
        raise NotImplementedError

    def start(self):
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdout=self.log_file,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=self.directory, env=self.environment())
        for port in (self.port, self.stomp_port):
            if port:
                self.wait_for_port(port)
        # The probe was a connection too: let the broker forget it before measuring.
        time.sleep(0.3)
        return self

    def wait_for_port(self, port):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen on {port}:\n{self.log()}")

    def environment(self):
        return {k: v for k, v in os.environ.items() if not k.startswith("GATEMQ_")}

    def measured_pids(self):
        """The processes whose CPU time and RSS count as the broker's."""
        return [self.process.pid]

    def cpu_seconds(self):
        """User + system CPU time of the broker's processes so far."""
        return sum(process_stat(pid)[0] for pid in self.measured_pids())

    def rss_bytes(self):
        return sum(process_stat(pid)[1] for pid in self.measured_pids())

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        stop_process(self.process)
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self):
        return tail(self.log_path)


class Mosquitto(Broker):
    """Debian's mosquitto: anonymous clients, no connection limit, no persistence, Nagle off as
    gatemq has it by default, otherwise its defaults."""
    name = "mosquitto"

    def unsupported(self, protocol):
        if protocol == "mqttsn":
            return ("Debian's mosquitto has no MQTT-SN support: MQTT-SN devices would need a "
                    "separate gateway program in front of it")
        return super().unsupported(protocol)

    def __init__(self, binary):
        super().__init__()
        self.binary = binary
        config = os.path.join(self.directory, "mosquitto.conf")
        with open(config, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\n"
                    "allow_anonymous true\n"
                    "max_connections -1\n"
                    "persistence false\n"
                    "set_tcp_nodelay true\n"
                    "log_dest stderr\n"
                    "log_type error\n"
                    "log_type warning\n")
        self.config = config

    def command(self):
        return [self.binary, "-c", self.config]


class Gatemq(Broker):
    """gatemq with its built-in defaults and a small file on top: one MQTT/TCP listener on the
    free port, every other listener and gateway off (they would take fixed ports), no per-listener
    connection rate limit (mosquitto has none), errors only in the log. enable() turns the
    MQTT-SN or the STOMP gateway on, on a free port."""
    name = "gatemq"
    extra_protocols = ("mqttsn", "stomp")
    # Gateways a build may lack: their key is dropped when the binary calls it unknown.
    OPTIONAL = ["tcp.enable = off", "stomp.enable = off", "mqtt.sn.enable = off"]
    ENABLE_KEY = {"mqttsn": "mqtt.sn.enable = off", "stomp": "stomp.enable = off"}

    def __init__(self, binary, workers=0):
        super().__init__()
        self.binary = binary
        self.optional = list(self.OPTIONAL)
        self.workers = workers
        self.config = os.path.join(self.directory, "gatemq.conf")

    def enable(self, protocol):
        super().enable(protocol)
        self.optional.remove(self.ENABLE_KEY[protocol])

    def environment(self):
        env = super().environment()
        if self.mqttsn_port:
            env["GATEMQ_MQTT__SN__PORT"] = f"127.0.0.1:{self.mqttsn_port}"
        if self.stomp_port:
            env["GATEMQ_STOMP__LISTENER"] = f"127.0.0.1:{self.stomp_port}"
        return env

    def write_config(self):
        lines = [f"listener.tcp.external = 127.0.0.1:{self.port}",
                 "listener.tcp.external.max_conn_rate = 10000000",
                 "listener.tcp.external.acceptors = 16",
                 "listener.tcp.internal = off",
                 "listener.ssl.external = off",
                 "listener.ws.external = off",
                 "listener.wss.external = off",
                 f"node.workers = {self.workers}",
                 "log.to = console",
                 "log.level = error"] + self.optional
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def command(self):
        return [self.binary, "--config", self.config]

    def start(self):
        for _ in range(len(self.OPTIONAL) + 1):
            self.write_config()
            try:
                super().start()
                if self.mqttsn_port:
                    wait_for_gwinfo(self.mqttsn_port, self.log)
                return self
            except RuntimeError as error:
                unknown = [line for line in self.optional
                           if f"unknown key '{line.split(' = ')[0]}'" in str(error)]
                if not unknown:
                    raise
                self.optional.remove(unknown[0])
                self.stop()
                os.unlink(self.log_path)
        raise RuntimeError("gatemq did not start")

    def version(self):
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        return out.stdout.strip()


class PahoMqttsn(Broker):
    """The Eclipse Paho MQTT-SN gateway (built by bench/peers/build-paho-mqttsn.sh) in front of a
    Debian mosquitto configured as above: what an MQTT-SN deployment without gatemq runs. The
    gateway is transparent (one MQTT connection to mosquitto per MQTT-SN client), without client
    authentication, predefined topics, QoS -1 or aggregation. MQTT subscribers connect to the
    mosquitto; CPU time and RSS are the two processes' sums. The gateway prints every packet
    it handles on stdout (its default; the alternative is a shared-memory ring buffer for its log
    monitor): that goes to a file in the temporary directory."""
    name = "paho-mqttsn"
    extra_protocols = ("mqttsn",)
    label = "Paho MQTT-SN gateway + Mosquitto"

    def __init__(self, binary, mosquitto):
        if not binary or not os.access(binary, os.X_OK):
            raise PeerMissing(f"{self.label}: not present (see bench/peers/README.md)")
        self.binary = binary
        self.mosquitto = Mosquitto(mosquitto)
        super().__init__()
        self.port = self.mosquitto.port  # subscribers talk MQTT to the mosquitto
        self.config = os.path.join(self.directory, "gateway.conf")

    def write_config(self):
        # Keys as in upstream's MQTTSNGateway/gateway.conf; the multicast port only answers
        # SEARCHGW broadcasts, which nothing here sends, but it must be free.
        lines = ["GatewayID=1",
                 "GatewayName=gatemq-compare-paho",
                 "MaxNumberOfClients=10000",
                 "KeepAlive=60",
                 "BrokerName=127.0.0.1",
                 f"BrokerPortNo={self.mosquitto.port}",
                 "BrokerSecurePortNo=8883",
                 "AggregatingGateway=NO",
                 "QoS-1=NO",
                 "Forwarder=NO",
                 "PredefinedTopic=NO",
                 "ClientAuthentication=NO",
                 f"GatewayPortNo={self.mqttsn_port}",
                 f"MulticastPortNo={free_port(udp=True)}",
                 "MulticastIP=225.1.1.1",
                 "MulticastTTL=1",
                 "ShearedMemory=NO"]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def command(self):
        return [self.binary, "-f", self.config]

    def start(self):
        self.mosquitto.start()
        self.write_config()
        self.log_file = open(self.log_path, "ab")
        # cwd: the gateway keys its shared memory on files it creates in the working directory.
        self.process = subprocess.Popen(self.command(), stdout=self.log_file,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=self.directory, env=self.environment())
        wait_for_connack(self.mqttsn_port, self.log)
        return self

    def measured_pids(self):
        return [self.process.pid, self.mosquitto.process.pid]

    def alive(self):
        return super().alive() and self.mosquitto.alive()

    def stop(self):
        super().stop()
        self.mosquitto.stop()

    def cleanup(self):
        super().cleanup()
        self.mosquitto.cleanup()

    def log(self):
        return super().log() + "\n-- mosquitto --\n" + self.mosquitto.log()


class RabbitMQ(Broker):
    """Debian's RabbitMQ with its STOMP plugin, started as the current user (not the system
    service) from a temporary directory: its own node name, Erlang cookie (HOME), database,
    logs, config and enabled-plugins file, AMQP and STOMP listeners on free loopback ports, an
    epmd of its own on a free port (stopped afterwards). Defaults otherwise: guest/guest from
    loopback, which the STOMP clients log in as. The server script stays the parent of the
    Erlang VM (beam.smp), whose CPU time and RSS are measured."""
    name = "rabbitmq"
    extra_protocols = ("stomp",)
    label = "RabbitMQ STOMP"
    start_timeout = 90  # an Erlang node boots in seconds, more on a busy machine

    def __init__(self, server):
        if not server or not os.access(server, os.X_OK):
            raise PeerMissing(f"{self.label}: not present (apt-get install rabbitmq-server; "
                              f"see bench/peers/README.md)")
        self.server = server
        super().__init__()
        self.epmd_port = free_port()
        self.node = f"gatemq-compare-{os.getpid()}-{self.port}@localhost"

    def write_config(self):
        with open(os.path.join(self.directory, "rabbitmq.conf"), "w") as f:
            f.write(f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
                    f"stomp.listeners.tcp.1 = 127.0.0.1:{self.stomp_port}\n"
                    "log.console = true\n"
                    "log.console.level = warning\n"
                    "log.file = false\n")
        with open(os.path.join(self.directory, "enabled_plugins"), "w") as f:
            f.write("[rabbitmq_stomp].\n")
        open(os.path.join(self.directory, "rabbitmq-env.conf"), "w").close()

    def environment(self):
        env = super().environment()
        d = self.directory
        env.update({
            "HOME": d,  # the Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONF_ENV_FILE": os.path.join(d, "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": os.path.join(d, "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(d, "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(d, "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": os.path.join(d, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(d, "log"),
            "RABBITMQ_PID_FILE": os.path.join(d, "rabbitmq.pid"),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "ERL_EPMD_PORT": str(self.epmd_port),
        })
        return env

    def command(self):
        return [self.server]

    def start(self):
        self.write_config()
        return super().start()

    def measured_pids(self):
        children = [int(p) for p in
                    open(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read()
                    .split()]
        return children or [self.process.pid]  # the Erlang VM, once the script has forked it

    def stop(self):
        super().stop()  # the script stops the node cleanly on SIGTERM
        epmd = shutil.which("epmd")
        if epmd:
            subprocess.run([epmd, "-kill"], env=self.environment(), capture_output=True,
                           timeout=10)

    def version(self):
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "rabbitmq-server"],
                             capture_output=True, text=True)
        return out.stdout.strip()
