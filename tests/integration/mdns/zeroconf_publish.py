# Publishes one DNS-SD service with python-zeroconf until the file argv[2] exists, then
# unregisters it (goodbye packets) and exits. Prints "registered" and "unregistered".
import os
import socket
import sys
import time

from zeroconf import IPVersion, ServiceInfo, Zeroconf

ip, stop_file = sys.argv[1], sys.argv[2]
zc = Zeroconf(interfaces=[ip], ip_version=IPVersion.V4Only)
info = ServiceInfo("_pyweb._tcp.local.", "pyinst._pyweb._tcp.local.",
                   addresses=[socket.inet_aton(ip)], port=9999,
                   properties={"ns": "py", "k": "v"}, server="pyhost.local.")
zc.register_service(info)
print("registered", flush=True)
deadline = time.time() + 60
while not os.path.exists(stop_file) and time.time() < deadline:
    time.sleep(0.05)
zc.unregister_service(info)
print("unregistered", flush=True)
zc.close()
