# Browses one DNS-SD service type with python-zeroconf and prints what it sees, one line per
# event: "added <instance> <port> <k=v,...>" and "removed <instance>". Ends after argv[3] s.
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, Zeroconf

ip, service_type, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
zc = Zeroconf(interfaces=[ip], ip_version=IPVersion.V4Only)


class Listener:
    def add_service(self, zc, type_, name):
        info = zc.get_service_info(type_, name, timeout=3000)
        port = info.port if info else 0
        props = ",".join(f"{k.decode()}={(v or b'').decode()}" for k, v in sorted((info.properties if info else {}).items()))
        print(f"added {name} {port} {props}", flush=True)

    def remove_service(self, zc, type_, name):
        print(f"removed {name}", flush=True)

    def update_service(self, zc, type_, name):
        pass


ServiceBrowser(zc, service_type, Listener())
time.sleep(seconds)
zc.close()
