"""ICMP echo through the tunnel without needing iputils: icmp_ping.py DST COUNT [SRC].
   Sends echo requests (one every 200 ms, for up to 20 s) until COUNT replies came back."""
import os
import select
import socket
import struct
import sys
import time

dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
if len(sys.argv) > 3:
    s.bind((sys.argv[3], 0))
ident = os.getpid() & 0xFFFF


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    total = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


replies = set()
deadline = time.time() + 20
seq = 0
while len(replies) < count and time.time() < deadline:
    seq += 1
    payload = b"gquic-wireguard-probe" + bytes(35)
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    header = struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, seq)
    s.sendto(header + payload, (dst, 0))
    end = time.time() + 0.2
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        data, addr = s.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if typ == 0 and rid == ident and addr[0] == dst:
            replies.add(rseq)
sys.exit(0 if len(replies) >= count else 1)
