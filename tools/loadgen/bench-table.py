#!/usr/bin/env python3
"""bench-table.py OUT_DIR: turns tools/bench.sh's results (results.jsonl,
bench-srtp.txt, callgrind.N.out.*) into the markdown table of
docs/BENCHMARKS.md. Figures only; no judgement beyond the ratios."""
import glob, json, os, re, subprocess, sys

out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.startswith("{")]
main = [r for r in rows if not r["label"].startswith("callgrind")]

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

floor = {}
try:
    for line in open(os.path.join(out, "bench-srtp.txt")):
        m = re.match(r"SRTP_AES128_CM_SHA1_80\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if m:
            floor["evp"], floor["libsrtp"] = int(m.group(1)), int(m.group(3))
        m = re.match(r"loopback sendto\s+(\d+)", line)
        if m:
            floor["send"] = int(m.group(1))
except OSError:
    pass
if len(floor) == 3:
    print("\nFloor (bench-srtp, same run; AES_CM_128_HMAC_SHA1_80, 1,200-byte packet): "
          "OpenSSL EVP protect {:.2f} µs + sendto {:.2f} µs = **{:.2f} µs**; "
          "with libsrtp2 {:.2f} + {:.2f} = **{:.2f} µs**.".format(
              floor["evp"] / 1e3, floor["send"] / 1e3, (floor["evp"] + floor["send"]) / 1e3,
              floor["libsrtp"] / 1e3, floor["send"] / 1e3, (floor["libsrtp"] + floor["send"]) / 1e3))
    for r in main:
        if r["scenario"] == "fanout" and r["server_us_per_pkt"] > 0:
            pass
    fan = [r for r in main if r["scenario"] == "fanout" and r["server_us_per_pkt"] > 0]
    if fan:
        print("\nCPU per forwarded packet / EVP floor, fan-out:\n")
        for r in sorted(fan, key=lambda r: (r["server"], r["peers"])):
            print("- {} {} peers: {:.1f}× the floor".format(
                r["server"], r["peers"], r["server_us_per_pkt"] * 1e3 / (floor["evp"] + floor["send"])))

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
