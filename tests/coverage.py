#!/usr/bin/python3
"""Line coverage from gcov after `make coverage`: one line per source file,
then the total and src/cell.c (targets: 85% overall, 100% cell.c).
usage: coverage.py BUILD_DIR"""
import re
import subprocess
import sys
import glob

build = sys.argv[1] if len(sys.argv) > 1 else "build"
srcs = sorted(glob.glob("src/*.c"))
p = subprocess.run(["gcov", "-n", "-o", build] + srcs, capture_output=True, text=True)
total = hit = 0
per = {}
for m in re.finditer(r"File '([^']+)'\nLines executed:([\d.]+)% of (\d+)", p.stdout):
    name, pct, n = m.group(1), float(m.group(2)), int(m.group(3))
    if not name.startswith("src/"):
        continue
    per[name] = (pct, n)
    total += n
    hit += round(pct * n / 100)
for name, (pct, n) in sorted(per.items()):
    print(f"{pct:6.2f}% of {n:5d}  {name}")
overall = 100.0 * hit / total if total else 0.0
print(f"overall line coverage: {overall:.2f}% ({hit}/{total})")
print(f"src/cell.c line coverage: {per.get('src/cell.c', (0.0, 0))[0]:.2f}%")
