"""A byte-exact MQTT-SN 1.2 client for end-to-end tests (stdlib only).

`Client` drives a gateway over UDP with `mqttsn_codec` and never acknowledges anything on its
own, so tests see every datagram. The self-test is test_mqttsn_client.py.
"""
import socket

from mqttsn_codec import *  # noqa: F401,F403 (tests use the constants through this module)
from mqttsn_codec import Codec, Message


class MqttSnError(Exception):
    """The gateway answered with a return code other than ACCEPTED."""

    def __init__(self, message):
        super().__init__(f"{message.type} return code {message.return_code}")
        self.message = message
        self.return_code = message.return_code


class Client:
    """One MQTT-SN client over UDP (chapter 6 flows).

    Nothing is acknowledged automatically: use ack_publish()/ack_register()/ack_pubrel().
    Messages that arrive while a method waits for its own answer are queued and returned by
    later recv() calls, so a test sees every datagram in arrival order."""

    def __init__(self, host="127.0.0.1", port=1884, local_port=None, timeout=5.0):
        self.gateway = (host, port)
        self.timeout = timeout
        self.pending = []  # decoded messages waiting for recv()
        self._next_msg_id = 0
        self.sock = None
        self.rebind(local_port)

    # ---- transport --------------------------------------------------------------------------

    def rebind(self, local_port=None):
        """Switch to a new UDP socket (a new source port unless local_port is given), as a NAT
        rebinding would."""
        if self.sock is not None:
            self.sock.close()
        family = socket.AF_INET6 if ":" in self.gateway[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", local_port or 0))
        return self.local_port

    @property
    def local_port(self):
        return self.sock.getsockname()[1]

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, datagram):
        self.sock.sendto(bytes(datagram), self.gateway)

    def send(self, message, long_form=False):
        self.send_raw(Codec.encode(message, long_form=long_form))

    def recv_raw(self, timeout=None):
        """Next datagram's bytes, or None after `timeout` seconds (default self.timeout)."""
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data, _ = self.sock.recvfrom(65536)
            return data
        except socket.timeout:
            return None

    def recv(self, timeout=None):
        """Next decoded message (queued ones first), None on timeout; DecodeError if the gateway
        sent something invalid."""
        if self.pending:
            return self.pending.pop(0)
        data = self.recv_raw(timeout)
        return None if data is None else Codec.decode(data)

    def expect(self, type_name_, msg_id=None, timeout=None):
        """Wait for a message of this type (and msg_id when given); others are queued for
        recv(). Raises TimeoutError."""
        for index, queued in enumerate(self.pending):
            if self._matches(queued, type_name_, msg_id):
                return self.pending.pop(index)
        while True:
            data = self.recv_raw(timeout)
            if data is None:
                raise TimeoutError(f"no {type_name_} (queued: {[m.type for m in self.pending]})")
            message = Codec.decode(data)
            if self._matches(message, type_name_, msg_id):
                return message
            self.pending.append(message)

    @staticmethod
    def _matches(message, type_name_, msg_id):
        return message.type == type_name_ and (msg_id is None or message.msg_id == msg_id)

    def next_msg_id(self):
        self._next_msg_id = self._next_msg_id % 0xFFFF + 1  # 1..65535, 0 is "no id"
        return self._next_msg_id

    # ---- connection (§6.3, §6.4, §6.12) -----------------------------------------------------

    def connect(self, client_id, clean=True, duration=60, will=None):
        """CONNECT; with will={"topic", "message", "qos", "retain"} runs the WILLTOPICREQ /
        WILLTOPIC / WILLMSGREQ / WILLMSG exchange. Returns the CONNACK return code."""
        self.send(Message("CONNECT", flags=Flags(clean_session=clean, will=will is not None),
                          duration=duration, client_id=client_id))
        if will is not None:
            self.expect("WILLTOPICREQ")
            self.send(Message("WILLTOPIC", flags=Flags(qos=will.get("qos", 0),
                                                       retain=will.get("retain", False)),
                              will_topic=will["topic"]))
            self.expect("WILLMSGREQ")
            self.send(Message("WILLMSG", will_message=Codec._text(will.get("message", b""))))
        return self.expect("CONNACK").return_code

    def disconnect(self, duration=None):
        """DISCONNECT (with duration: go to sleep, §6.14); returns the gateway's DISCONNECT."""
        self.send(Message("DISCONNECT", duration=duration))
        return self.expect("DISCONNECT")

    def pingreq(self, client_id=None, timeout=None):
        """PINGREQ (with client_id: a sleeping client's wake-up, §6.14). Waits for PINGRESP and
        returns the messages that arrived before it (they are not queued for recv())."""
        self.send(Message("PINGREQ", client_id=client_id))
        received, self.pending = self.pending, []
        while True:
            message = self.recv(timeout)
            if message is None:
                raise TimeoutError(f"no PINGRESP (received: {[m.type for m in received]})")
            if message.type == "PINGRESP":
                return received
            received.append(message)

    def searchgw(self, radius=0):
        """SEARCHGW sent to the gateway address (§6.1); returns the GWINFO message."""
        self.send(Message("SEARCHGW", radius=radius))
        return self.expect("GWINFO")

    def willtopicupd(self, topic=None, qos=0, retain=False):
        """WILLTOPICUPD (§6.4); topic None sends the empty form that deletes the will.
        Returns the WILLTOPICRESP return code."""
        flags = None if topic is None else Flags(qos=qos, retain=retain)
        self.send(Message("WILLTOPICUPD", flags=flags, will_topic=topic or ""))
        return self.expect("WILLTOPICRESP").return_code

    def willmsgupd(self, message):
        """WILLMSGUPD (§6.4); returns the WILLMSGRESP return code."""
        self.send(Message("WILLMSGUPD", will_message=Codec._text(message)))
        return self.expect("WILLMSGRESP").return_code

    # ---- topics and publishing (§6.5 - §6.10) -----------------------------------------------

    def register(self, topic, msg_id=None):
        """REGISTER a topic name; returns its topic id. MqttSnError if REGACK refuses."""
        msg_id = msg_id or self.next_msg_id()
        self.send(Message("REGISTER", topic_id=0, msg_id=msg_id, topic_name=topic))
        regack = self.expect("REGACK", msg_id)
        if regack.return_code != ACCEPTED:
            raise MqttSnError(regack)
        return regack.topic_id

    def publish(self, topic, payload, qos=0, topic_id_type=None, retain=False, msg_id=None,
                dup=False):
        """PUBLISH to a topic id (int; TOPIC_NORMAL unless topic_id_type says predefined) or a
        2-character short name (str). QoS 1 waits for PUBACK; QoS 2 runs PUBREC / PUBREL /
        PUBCOMP. Returns the PUBACK return code (ACCEPTED for QoS 2, None for QoS 0 and -1).
        A PUBACK carrying an error also ends a QoS 2 exchange (§6.7)."""
        if topic_id_type is None:
            topic_id_type = TOPIC_SHORT_NAME if isinstance(topic, str) else TOPIC_NORMAL
        topic_id = short_name_to_topic_id(topic) if isinstance(topic, str) else topic
        if qos in (1, 2):
            msg_id = msg_id or self.next_msg_id()
        flags = Flags(dup=dup, qos=qos, retain=retain, topic_id_type=topic_id_type)
        self.send(Message("PUBLISH", flags=flags, topic_id=topic_id, msg_id=msg_id or 0,
                          data=Codec._text(payload)))
        if qos == 1:
            return self.expect("PUBACK", msg_id).return_code
        if qos == 2:
            while True:
                answer = self.recv()
                if answer is None:
                    raise TimeoutError("no PUBREC")
                if answer.type == "PUBACK" and answer.msg_id == msg_id:
                    return answer.return_code
                if answer.type == "PUBREC" and answer.msg_id == msg_id:
                    break
                self.pending.append(answer)
                if len(self.pending) > 1000:
                    raise RuntimeError("flooded while waiting for PUBREC")
            self.send(Message("PUBREL", msg_id=msg_id))
            self.expect("PUBCOMP", msg_id)
            return ACCEPTED
        return None

    def subscribe(self, topic, qos=0, topic_id_type=None, msg_id=None, dup=False):
        """SUBSCRIBE to a topic filter (str), a predefined id (int) or, with
        topic_id_type=TOPIC_SHORT_NAME, a 2-character short name (str).
        Returns (granted qos, topic id, return code) from SUBACK."""
        message = self._subscription("SUBSCRIBE", topic, topic_id_type, msg_id,
                                     Flags(dup=dup, qos=qos))
        self.send(message)
        suback = self.expect("SUBACK", message.msg_id)
        return suback.flags.qos, suback.topic_id, suback.return_code

    def unsubscribe(self, topic, topic_id_type=None, msg_id=None):
        """UNSUBSCRIBE (same topic forms as subscribe); waits for UNSUBACK."""
        message = self._subscription("UNSUBSCRIBE", topic, topic_id_type, msg_id, Flags())
        self.send(message)
        return self.expect("UNSUBACK", message.msg_id)

    def _subscription(self, kind, topic, topic_id_type, msg_id, flags):
        if topic_id_type is None:
            topic_id_type = TOPIC_PREDEFINED if isinstance(topic, int) else TOPIC_NORMAL
        flags.topic_id_type = topic_id_type
        message = Message(kind, flags=flags, msg_id=msg_id or self.next_msg_id())
        if topic_id_type == TOPIC_NORMAL:
            message.topic_name = topic
        else:
            message.topic_id = short_name_to_topic_id(topic) if isinstance(topic, str) else topic
        return message

    # ---- explicit acknowledgements ----------------------------------------------------------

    def ack_publish(self, publish, return_code=ACCEPTED, complete=True):
        """Acknowledge a PUBLISH from the gateway: PUBACK for QoS 1; PUBREC for QoS 2, then
        (complete=True) wait for PUBREL and send PUBCOMP. Nothing for QoS 0/-1."""
        qos = publish.flags.qos
        if qos == 1:
            self.send(Message("PUBACK", topic_id=publish.topic_id, msg_id=publish.msg_id,
                              return_code=return_code))
        elif qos == 2:
            self.send(Message("PUBREC", msg_id=publish.msg_id))
            if complete:
                self.ack_pubrel(self.expect("PUBREL", publish.msg_id))

    def ack_pubrel(self, pubrel):
        self.send(Message("PUBCOMP", msg_id=pubrel.msg_id))

    def ack_register(self, register, return_code=ACCEPTED):
        """Answer a gateway REGISTER (§6.10) with REGACK."""
        self.send(Message("REGACK", topic_id=register.topic_id, msg_id=register.msg_id,
                          return_code=return_code))
