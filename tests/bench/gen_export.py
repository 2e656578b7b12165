#!/usr/bin/python3
"""Writes a large canonical status export for the benchmark.

usage: gen_export.py ROWS OUT.csv [NIGHT]   (NIGHT 0..n shifts reported_at by days)
One row per device (a nightly export of a ROWS-device fleet), realistic mix
of statuses and versions, statuses that persist for weeks across nights,
deterministic.
"""
import datetime
import random
import sys

rows = int(sys.argv[1])
out = sys.argv[2]
night = int(sys.argv[3]) if len(sys.argv) > 3 else 0
rnd = random.Random(42 + night)
statuses = ["Pass"] * 6 + ["Downloading", "Cached", "Installing", "Error", "Pending", "downloading"]
versions = ["26.1", "26.0.1", "15.7.2", "26.1", "26.1"]
zones = ["America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo", ""]
groups = ["Engineering", "Sales", "Finance", "Support", "Retail Kiosks"]
alpha = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
base = datetime.datetime(2026, 11, 20) + datetime.timedelta(days=night)
with open(out, "w") as f:
    f.write("serial_number,status,reported_at,device_name,user,group,platform,model,"
            "os_version,build_version,extra_version,time_zone,failure_count,failure_reason\n")
    for i in range(rows):
        serial = "C" + "".join(alpha[(i * 7919 + k * 104729) // (34 ** k) % 34] for k in range(5)) + f"{i:06d}"
        # A device keeps its status for runs of 5 to 54 nights, as real
        # fleets do (most devices stay at Pass for months).
        run = night // (5 + i % 50)
        st = statuses[((i * 2654435761 + run * 40503) >> 7) % len(statuses)]
        plat, model = (("macOS", "Mac15,3") if i % 3 else ("iOS", "iPhone16,1"))
        t = base + datetime.timedelta(seconds=rnd.randrange(86400))
        f.write(f"{serial},{st},{t:%Y-%m-%dT%H:%M:%S}Z,"
                f"Device {i},user{i}@example.com,{rnd.choice(groups)},{plat},\"{model}\","
                f"{rnd.choice(versions)},25B78,,{rnd.choice(zones)},"
                f"{1 if st == 'Error' else 0},{'Not enough space' if st == 'Error' else ''}\n")
