#!/usr/bin/env python3
"""bench-table.py OUT_DIR: turns tools/bench.sh's results (results.jsonl,
bench-srtp.txt, callgrind.N.out.*) into the markdown table of
docs/BENCHMARKS.md. Figures only; no judgement beyond the ratios.
bench-table.py --floor-json OUT_DIR: prints bench-srtp.txt's floors as one
JSON line (label "floor"), which bench.sh appends to results.jsonl."""
import glob, json, os, re, subprocess, sys


def parse_floor(path):
    """bench-srtp's figures, in ns: evp/libsrtp protect (AES_CM_128_HMAC_SHA1_80),
    send (one loopback sendto to one warm socket), paced (the paced fan-out
    floor: protect + sendto, one socket per receiver, sender CPU per packet),
    paced_mmsg (the sendmmsg reference), with paced_subs/paced_rate/paced_seconds."""
    floor = {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return floor
    for line in lines:
        m = re.match(r"SRTP_AES128_CM_SHA1_80\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if m:
            floor["evp"], floor["libsrtp"] = int(m.group(1)), int(m.group(3))
        m = re.match(r"loopback sendto\s+(\d+)", line)
        if m:
            floor["send"] = int(m.group(1))
        m = re.match(r"paced fan-out: .* (\d+) receivers x ([\d.]+) packets/s for ([\d.]+) s", line)
        if m:
            floor["paced_rate"], floor["paced_seconds"] = float(m.group(2)), float(m.group(3))
        m = re.match(r"floor, paced fan-out \((\d+) receivers[^)]*\)\s+(\d+)", line)
        if m:
            floor["paced_subs"], floor["paced"] = int(m.group(1)), int(m.group(2))
        m = re.match(r"ref, one sendmmsg .*?\)\s+(\d+)\s", line)
        if m:
            floor["paced_mmsg"] = int(m.group(1))
    return floor


if sys.argv[1] == "--floor-json":
    fl = parse_floor(os.path.join(sys.argv[2], "bench-srtp.txt"))
    names = {"evp": "evp_protect_ns", "libsrtp": "libsrtp_protect_ns", "send": "sendto_ns",
             "paced": "paced_floor_ns", "paced_mmsg": "paced_sendmmsg_ns", "paced_subs": "paced_subs",
             "paced_rate": "paced_rate_pps", "paced_seconds": "paced_seconds"}
    print(json.dumps(dict([("label", "floor"), ("server", "bench-srtp")] +
                          [(names[k], v) for k, v in sorted(fl.items())])))
    sys.exit(0)

out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.startswith("{")]
main = [r for r in rows if not r["label"].startswith("callgrind") and "scenario" in r]

def f(v, fmt):
    return "n/a" if v is None or v < 0 else fmt.format(v)

print("| server | scenario | peers | fwd Mbit/s | loss % | server cores | CPU µs/fwd pkt | fwd Mbit/s per core | RSS KB/peer | join p50 / p95 ms | with media / failed | loadgen cores |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in sorted(main, key=lambda r: (r["scenario"], r["subscribers"], r["server"])):
    print("| {} | {} | {} | {:.1f} | {:.3f} | {:.2f} | {} | {} | {:.0f} | {} / {} | {} / {} | {:.2f}{} |".format(
        r["server"], r["scenario"], r["peers"], r["forwarded_mbps"], r["loss"] * 100,
        r["server_cpu_cores"], f(r["server_us_per_pkt"], "{:.2f}"), f(r["mbps_per_core"], "{:.0f}"),
        r["rss_kb_per_peer"], f(r["join_ms_p50"], "{:.0f}"), f(r["join_ms_p95"], "{:.0f}"),
        r["with_media"], r["failed"], r["loadgen_cpu_cores"],
        " (saturated)" if r["loadgen_saturated"] else ""))

print("\nRatios, Huizhen / Janus, same scenario and size (below 1 is better for Huizhen):\n")
print("| scenario | peers | CPU per fwd pkt | RSS per peer | join p50 |")
print("| --- | ---: | ---: | ---: | ---: |")
by = {}
for r in main:
    by.setdefault((r["scenario"], r["peers"]), {})[r["server"]] = r
for (sc, peers), d in sorted(by.items()):
    if "huizhen" in d and "janus" in d:
        h, j = d["huizhen"], d["janus"]
        def ratio(k):
            return "{:.2f}".format(h[k] / j[k]) if h[k] > 0 and j[k] > 0 else "n/a"
        print("| {} | {} | {} | {} | {} |".format(sc, peers, ratio("server_us_per_pkt"),
              ratio("rss_kb_per_peer"), ratio("join_ms_p50")))

floor = parse_floor(os.path.join(out, "bench-srtp.txt"))
fan = [r for r in main if r["scenario"] == "fanout" and r["server_us_per_pkt"] > 0]
if "evp" in floor and "libsrtp" in floor and "send" in floor:
    print("\nFloor (bench-srtp, same run; AES_CM_128_HMAC_SHA1_80, 1,200-byte packet): "
          "OpenSSL EVP protect {:.2f} µs + sendto {:.2f} µs = **{:.2f} µs**; "
          "with libsrtp2 {:.2f} + {:.2f} = **{:.2f} µs**.".format(
              floor["evp"] / 1e3, floor["send"] / 1e3, (floor["evp"] + floor["send"]) / 1e3,
              floor["libsrtp"] / 1e3, floor["send"] / 1e3, (floor["libsrtp"] + floor["send"]) / 1e3))
if "paced" in floor:
    print("\nFloor (paced fan-out) (bench-srtp, same run): EVP protect + sendto from one UDP socket "
          "per receiver to {} receivers, {:.0f} packets/s each, drained by another process through "
          "epoll; sender CPU (getrusage) per packet: **{:.2f} µs**{}.".format(
              floor["paced_subs"], floor.get("paced_rate", 0), floor["paced"] / 1e3,
              "" if "paced_mmsg" not in floor else
              " (reference, not the floor: one sendmmsg per round from one socket, what a "
              "shared-socket server could do: {:.2f} µs)".format(floor["paced_mmsg"] / 1e3)))
if fan and ("paced" in floor or {"evp", "send"} <= floor.keys()):
    print("\nCPU per forwarded packet / EVP floor, fan-out:\n")
    for r in sorted(fan, key=lambda r: (r["server"], r["peers"])):
        parts = []
        if "evp" in floor and "send" in floor:
            parts.append("{:.1f}× the floor".format(
                r["server_us_per_pkt"] * 1e3 / (floor["evp"] + floor["send"])))
        if "paced" in floor:
            parts.append("{:.1f}× the paced fan-out floor ({} receivers)".format(
                r["server_us_per_pkt"] * 1e3 / floor["paced"], floor["paced_subs"]))
        print("- {} {} peers: {}".format(r["server"], r["peers"], "; ".join(parts)))

cg = [r for r in rows if r["label"].startswith("callgrind")]
if cg:
    print("\nHuizhen under callgrind (1 → 10 subscribers, instructions of the whole server "
          "process inside the measurement window / packets the subscribers received):\n")
    for r in cg:
        run = r["label"].split("-")[1]
        parts = sorted(glob.glob(os.path.join(out, "callgrind.%s.out.*" % run)))
        ir = None
        for p in parts:
            for line in open(p, errors="replace"):
                if line.startswith("summary:") or line.startswith("totals:"):
                    ir = int(line.split()[1])
        if ir and r["forwarded_pkts"] > 0:
            print("- run {}: {:,} instructions / {:,} packets = **{:,.0f} instructions per forwarded packet** "
                  "(loss {:.2f} %)".format(run, ir, r["forwarded_pkts"], ir / r["forwarded_pkts"], r["loss"] * 100))
    parts = sorted(glob.glob(os.path.join(out, "callgrind.1.out.*")))
    if parts and cg[0]["forwarded_pkts"] > 0:
        pk = cg[0]["forwarded_pkts"]
        txt = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", parts[-1]],
                             capture_output=True, text=True).stdout
        print("\nTop self costs per forwarded packet (run 1, callgrind_annotate --inclusive=no):\n")
        print("| instructions / fwd pkt | share | function |")
        print("| ---: | ---: | --- |")
        n = 0
        for line in txt.splitlines():
            m = re.match(r"\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S.*)", line)
            # thread roots (worker_thread, clone...) carry everything: skip them
            if m and "PROGRAM TOTALS" not in line and float(m.group(2)) < 50:
                print("| {:,.0f} | {}% | `{}` |".format(int(m.group(1).replace(",", "")) / pk,
                                                       m.group(2), m.group(3)[:90]))
                n += 1
                if n == 20:
                    break
