"""One UDP probe through the tunnel: udp_probe.py recv HOST PORT | send HOST PORT TEXT.
   The receiver prints the first datagram's text; the sender retries until the deadline."""
import socket
import sys
import time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if mode == "recv":
    s.bind((host, port))
    s.settimeout(30)
    data, _ = s.recvfrom(2048)
    print(data.decode())
else:
    for _ in range(50):
        s.sendto(sys.argv[4].encode(), (host, port))
        time.sleep(0.2)
