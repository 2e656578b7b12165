"""Generates large canonical status exports for the reliability tests.

Not a test module (no test_ prefix): imported by test_reliability.py and
used by `make check-long` through DDM_BIG_ROWS / DDM_KILLS.
"""
import random

from lib import STATUS_HEADER

STATUSES = ["Pass", "Pending", "Downloading", "Error", "Installing", "Cached"]
VERSIONS = ["15.0", "15.1", "14.7.1", "15.1.1"]


def write_status(path, rows, devices=10000, seed=1, bad_at=None):
    """Writes rows observations of `devices` devices (several per device, at
    distinct times) with a 15.1 target.  bad_at: index of a row written as a
    malformed CSV record (junk after a closing quote)."""
    rnd = random.Random(seed)
    with open(path, "w", newline="") as f:
        f.write(STATUS_HEADER)
        lines = []
        for i in range(rows):
            if bad_at is not None and i == bad_at:
                lines.append('BAD%07d,"Pass"junk,2026-11-20T10:00:00Z%s\n' % (i, "," * 14))
                continue
            d = i % devices
            k = i // devices
            lines.append(
                "C%09d,%s,2026-11-%02dT%02d:%02d:%02dZ,Mac %d,u%d,G%d,macOS,MacBookPro18.1,"
                "%s,,,15.1,,2026-11-%02dT09:00:00,Europe/Berlin,%d,\n" % (
                    d, rnd.choice(STATUSES), 1 + k % 25, rnd.randint(0, 23),
                    rnd.randint(0, 59), k % 60, d, d % 977, d % 13,
                    rnd.choice(VERSIONS), 10 + d % 18, rnd.randint(0, 3)))
            if len(lines) >= 10000:
                f.writelines(lines)
                lines = []
        f.writelines(lines)
    return path
