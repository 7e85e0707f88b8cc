"""PROXY protocol headers (HAProxy's proxy-protocol.txt) as a load balancer sends them."""
import ipaddress
import struct

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def encode(version, source, source_port, destination, destination_port):
    """A v1 line or a v2 block; source None makes a v2 LOCAL header (health checks)."""
    if version == 1:
        family = "TCP6" if ":" in source else "TCP4"
        return f"PROXY {family} {source} {destination} {source_port} {destination_port}\r\n".encode()
    if source is None:
        return V2_SIGNATURE + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    family = 0x11 if src.version == 4 else 0x21
    addresses = src.packed + dst.packed + struct.pack("!HH", source_port, destination_port)
    return V2_SIGNATURE + bytes([0x21, family]) + struct.pack("!H", len(addresses)) + addresses
