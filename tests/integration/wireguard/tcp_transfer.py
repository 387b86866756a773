"""TCP transfer with checksum for the WireGuard namespace tests.
   tcp_transfer.py recv HOST PORT            prints "<bytes> <sha256>" of everything received
   tcp_transfer.py send HOST PORT MEGABYTES  sends pseudo-random data, prints the same"""
import hashlib
import socket
import sys
import time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
digest = hashlib.sha256()
total = 0
if mode == "recv":
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(1)
    srv.settimeout(60)
    conn, _ = srv.accept()
    conn.settimeout(60)
    while True:
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
else:
    megabytes = int(sys.argv[4])
    block = hashlib.sha256(b"gquic").digest() * (1 << 15)  # 1 MiB, varied per block below
    deadline = time.time() + 30
    while True:
        try:
            conn = socket.create_connection((host, port), timeout=5)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    conn.settimeout(60)
    for i in range(megabytes):
        data = i.to_bytes(4, "big") + block[4:]
        conn.sendall(data)
        digest.update(data)
        total += len(data)
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)
    conn.close()
print(total, digest.hexdigest())
