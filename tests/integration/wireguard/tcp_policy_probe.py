"""TCP probes for the container policy namespace test.
   tcp_policy_probe.py serve HOST READY_FILE PORT...   echoes one line per connection on every
                                                       PORT; touches READY_FILE once listening;
                                                       exits after 120 s
   tcp_policy_probe.py connect HOST PORT TIMEOUT        exit 0: connected and the echo came back
                                                       exit 2: timed out (packets dropped)
                                                       exit 3: refused (a RST came back)"""
import select
import socket
import sys
import time

mode = sys.argv[1]
if mode == "serve":
    host, ready = sys.argv[2], sys.argv[3]
    listeners = []
    for port in sys.argv[4:]:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(8)
        listeners.append(s)
    open(ready, "w").close()
    deadline = time.time() + 120
    while time.time() < deadline:
        readable, _, _ = select.select(listeners, [], [], 1.0)
        for s in readable:
            conn, _ = s.accept()
            conn.settimeout(10)
            try:
                line = conn.recv(64)
                conn.sendall(line)
            except OSError:
                pass
            conn.close()
    sys.exit(0)

host, port, timeout = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.settimeout(timeout)
try:
    c.connect((host, port))
    c.sendall(b"gquic\n")
    reply = c.recv(64)
except socket.timeout:
    print("timeout")
    sys.exit(2)
except ConnectionRefusedError:
    print("refused")
    sys.exit(3)
if reply != b"gquic\n":
    print("bad echo %r" % reply)
    sys.exit(1)
print("connected")
sys.exit(0)
