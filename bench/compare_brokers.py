"""The two brokers bench/compare measures, as processes it owns: each starts on a free loopback
port from a configuration written to a temporary directory, exposes its pid's CPU time and RSS
from /proc, and is stopped (SIGTERM, then SIGKILL) and its directory removed afterwards."""
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


def raise_file_limit():
    """Soft limit of open files up to the hard one (children inherit it); returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Broker:
    name = "?"
    # Why this broker cannot take MQTT-SN publishers, or None when it can (enable_mqttsn()).
    no_mqttsn = "no MQTT-SN gateway"

    def __init__(self):
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix=f"gatemq-compare-{self.name}-")
        self.process = None
        self.log_path = os.path.join(self.directory, "broker.log")
        self.log_file = None

    def command(self):
        raise NotImplementedError

    def start(self):
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdout=self.log_file,
                                        stderr=subprocess.STDOUT, cwd=self.directory,
                                        env=self.environment())
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                # The probe was a connection too: let the broker forget it before measuring.
                time.sleep(0.3)
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen on {self.port}:\n{self.log()}")

    def environment(self):
        return {k: v for k, v in os.environ.items() if not k.startswith("GATEMQ_")}

    def cpu_seconds(self):
        """User + system CPU time of the broker process so far."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_bytes(self):
        with open(f"/proc/{self.process.pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_SIZE

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""


class Mosquitto(Broker):
    """Debian's mosquitto: anonymous clients, no connection limit, no persistence, Nagle off as
    gatemq has it by default, otherwise its defaults."""
    name = "mosquitto"
    no_mqttsn = ("Debian's mosquitto has no MQTT-SN support: MQTT-SN devices would need a "
                 "separate gateway program in front of it")

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
    connection rate limit (mosquitto has none), errors only in the log. enable_mqttsn() turns the
    MQTT-SN gateway on, on a free UDP port."""
    name = "gatemq"
    no_mqttsn = None
    # Gateways a build may lack: their key is dropped when the binary calls it unknown.
    OPTIONAL = ["tcp.enable = off", "stomp.enable = off", "mqtt.sn.enable = off"]

    def __init__(self, binary, workers=0):
        super().__init__()
        self.binary = binary
        self.optional = list(self.OPTIONAL)
        self.workers = workers
        self.config = os.path.join(self.directory, "gatemq.conf")
        self.mqttsn_port = None

    def enable_mqttsn(self):
        self.mqttsn_port = free_port(udp=True)
        self.optional.remove("mqtt.sn.enable = off")

    def environment(self):
        env = super().environment()
        if self.mqttsn_port:
            env["GATEMQ_MQTT__SN__PORT"] = f"127.0.0.1:{self.mqttsn_port}"
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
                    self.wait_for_mqttsn()
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

    def wait_for_mqttsn(self, timeout=10):
        """SEARCHGW until GWINFO: the gateway's UDP socket gives no sign of life to a TCP probe,
        and a CONNECT sent before it is bound would fail a publisher's handshake."""
        deadline = time.monotonic() + timeout
        with socket.socket(type=socket.SOCK_DGRAM) as probe:
            probe.settimeout(0.2)
            probe.connect(("127.0.0.1", self.mqttsn_port))
            while time.monotonic() < deadline:
                try:
                    probe.send(bytes([3, 0x01, 0]))  # SEARCHGW, radius 0
                    reply = probe.recv(64)
                    if len(reply) >= 2 and reply[1] == 0x02:  # GWINFO
                        return
                except OSError:  # timeout, or ICMP port unreachable: not bound yet
                    time.sleep(0.05)
        raise RuntimeError(f"no GWINFO from the MQTT-SN gateway on UDP {self.mqttsn_port}:\n"
                           f"{self.log()}")

    def version(self):
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        return out.stdout.strip()
