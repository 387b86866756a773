#!/usr/bin/env python3
"""Writes each scenario's expected.json from the intent stated in its policies.yaml,
written here by hand as a predicate (independent of gquic's code)."""
import json, os

PODS = [(n, p) for n in "xyz" for p in "abc"]
PORTS = [80, 81]

def default_deny_ingress(f, t, port):
    return t[0] != "x"

def namespace_isolation(f, t, port):
    return t[0] != "y" or f[0] == "y"

def selectors_and_or(f, t, port):
    if t == ("x", "a"):
        return f == ("y", "b")
    if t == ("x", "b"):
        return f[0] == "y" or f == ("x", "c")
    return True

def ports_named_egress(f, t, port):
    egress_ok = f != ("z", "a") or port == 80
    ingress_ok = t != ("z", "b") or port == 81
    return egress_ok and ingress_ok

def admin_tiers(f, t, port):
    if t[0] == "x":
        if t == ("x", "a") and f == ("y", "b"):
            return True
        return not (f[0] == "y" and port == 80)
    if t[0] == "z":
        return f[0] != "x"  # Pass -> NetworkPolicy deny-all; others: admin Allow
    return True

def egress_ipblock(f, t, port):
    return f[0] != "y" or t[0] in ("y", "z")

here = os.path.dirname(os.path.abspath(__file__))
for name, fn in [("default-deny-ingress", default_deny_ingress),
                 ("namespace-isolation", namespace_isolation),
                 ("selectors-and-or", selectors_and_or),
                 ("ports-named-egress", ports_named_egress),
                 ("admin-tiers", admin_tiers),
                 ("egress-ipblock", egress_ipblock)]:
    rows = []
    for port in PORTS:
        for f in PODS:
            for t in PODS:
                if f == t:
                    continue
                rows.append({"from": "/".join(f), "to": "/".join(t), "port": port,
                             "protocol": "TCP", "allowed": fn(f, t, port)})
    with open(os.path.join(here, name, "expected.json"), "w") as fp:
        json.dump(rows, fp, indent=1)
        fp.write("\n")
