# Helper of gquic_bench_mdns. Modes:
#   browse IP TYPE SECONDS   print "added <name> <CLOCK_MONOTONIC ns>" for each new instance
#   publish IP TYPE NAME     register one instance, print "published <CLOCK_MONOTONIC ns>"
#                            when register_service is called, keep it until killed
import sys
import socket
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, Zeroconf

mode, ip, service_type = sys.argv[1], sys.argv[2], sys.argv[3]
zc = Zeroconf(interfaces=[ip], ip_version=IPVersion.V4Only)
if mode == "browse":
    class Listener:
        def add_service(self, zc, t, name):
            print(f"added {name} {time.monotonic_ns()}", flush=True)

        def remove_service(self, zc, t, name):
            pass

        def update_service(self, zc, t, name):
            pass
    ServiceBrowser(zc, service_type, Listener())
    print("ready", flush=True)
    time.sleep(float(sys.argv[4]))
else:
    name = sys.argv[4]
    info = ServiceInfo(service_type, f"{name}.{service_type}", addresses=[socket.inet_aton(ip)],
                       port=9000, properties={"ns": "bench"}, server="benchhost.local.")
    print(f"published {time.monotonic_ns()}", flush=True)
    zc.register_service(info)
    time.sleep(60)
zc.close()
