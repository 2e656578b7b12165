#!/usr/bin/python3
"""Deterministic fleet generator for the benchmark (same seed, same bytes).

usage: gen.py --devices N [--nights K] [--seed S] [--first-night F]
              [--what canonical,kandji,ddm,inventory,targets] OUTDIR

Writes into OUTDIR (never into the repository):
  status-NIGHT.csv   canonical status export of night NIGHT (F..K-1)
  kandji-NIGHT.csv   the same night as Kandji's reporting script writes it
                     (CRLF, microsecond timestamps, blueprint as group)
  ddm-NIGHT.ndjson   the same night as DDM status reports in NDJSON envelopes
  inventory.csv      every device: name, user, group, platform, model, zone
  targets.csv        platform-wide, group and serial-scoped targets
and prints the as-of time that evaluates the last night (the morning after).

The fleet is shaped like a real one so that every report has rows: most
devices comply, a share is past its deadline (macOS), due soon (iOS, deadline
within the day), stuck downloading, erroring (reasons with commas), silent
(last report 9+ days old, re-listed unchanged every night, as exports do),
out of scope (Incompatible) or without a target (tvOS).  Names are non-ASCII
(curly apostrophes, accents) and some contain commas (quoted fields).
Statuses persist for runs of nights, as in a fleet that mostly stays at Pass.

Every random choice comes from random.Random seeded with the seed and the
night, never from hash() or the clock, so the bytes depend on the arguments
only.
"""
import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
import unicodedata

BASE = dt.datetime(2026, 11, 1)  # night 0 is 2026-11-01 (UTC)
FIRST = ["Søren", "Léa", "Ciarán", "Min-jun", "Aroha", "Zoë", "José", "Ananya",
         "Björn", "Chloé", "Dvořák", "Emre", "Fatima", "Giulia", "Hiroshi",
         "Iñigo", "Jürgen", "Kwame", "Łukasz", "Mateo", "Noémie", "Oğuz",
         "Priya", "Rafael", "Seo-yeon", "Tariq", "Umaima", "Wen", "Yusuf",
         "Ådne"]
LAST = ["Evans", "Novak", "Tanaka", "Müller", "García", "O’Brien", "Nakamura",
        "Rahman", "Haddad", "Kealoha", "Bernard", "Søndergaard", "Kim", "Lee"]
GROUPS = ["Engineering", "Sales", "Finance", "Support", "Executives",
          "Marketing", "Legal", "Design", "Operations", "Retail Kiosks"]
ZONES = ["America/Los_Angeles", "America/New_York", "America/Chicago",
         "Europe/London", "Europe/Berlin", "Asia/Tokyo", "Asia/Kolkata",
         "Australia/Sydney", ""]
# platform, model, marketing name, weight
MODELS = [("macOS", "Mac15,3", "MacBook Pro", 30), ("macOS", "Mac14,2", "MacBook Air", 25),
          ("macOS", "iMac24,1", "iMac", 5), ("macOS", "Mac16,10", "Mac mini", 5),
          ("iOS", "iPhone16,1", "iPhone 15 Pro", 18), ("iOS", "iPhone17,3", "iPhone 16", 7),
          ("iPadOS", "iPad13,18", "iPad", 6), ("iPadOS", "iPad14,3", "iPad Pro", 2),
          ("tvOS", "AppleTV14,1", "Apple TV", 2)]
BUILDS = {"26.1": ("25B78", "23B85"), "26.0.1": ("25A362", "23A355"),
          "15.7.2": ("24G325", "22H124"), "18.7.2": ("24G325", "22H124")}
REASONS = ["Download failed: network connection lost",
           "Not enough space, needs 12.4 GB free",
           "Install failed: \"Software Update\" could not verify the update"]
KANDJI_WORD = {"Pass": "PASS", "Pending": "PENDING", "Downloading": "DOWNLOADING",
               "Cached": "CACHED", "Installing": "INSTALLING", "Error": "ERROR",
               "Incompatible": "INCOMPATIBLE"}
DDM_STATE = {"Pass": "none", "Pending": "waiting", "Downloading": "downloading",
             "Cached": "prepared", "Installing": "installing", "Error": "failed",
             "Incompatible": "none"}
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def ascii_of(s):
    """Mailbox names are ASCII: accents dropped (Ø and Ł have no decomposition)."""
    s = s.replace("ø", "o").replace("Ø", "O").replace("ł", "l").replace("Ł", "L").replace("’", "")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def fleet(n, seed):
    """One tuple per device; the same for every night."""
    rnd = random.Random(f"fleet-{seed}")
    weights = [m[3] for m in MODELS]
    seen = set()
    out = []
    for i in range(n):
        while True:  # serials are unique, 10 or 12 characters as Apple's
            serial = "".join(rnd.choice(ALNUM) for _ in range(10 if i % 4 else 12))
            if serial not in seen:
                seen.add(serial)
                break
        plat, model, kind, _ = rnd.choices(MODELS, weights)[0]
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        group = rnd.choice(GROUPS)
        if group == "Retail Kiosks":
            name = f"Store {i % 97:02d}, Kiosk {i % 7 + 1}"  # comma: quoted
            user = ""
        else:
            name = f"{first}’s {kind}"
            user = f"{ascii_of(first)}.{ascii_of(last)}{i}@example.com"
        zone = rnd.choice(ZONES)
        # What happens to this device: c compliant, p behind (pending ...),
        # e error, s silent, x incompatible.
        fate = rnd.choices("cpesx", [62, 22, 6, 8, 2])[0]
        period = 3 + rnd.randrange(25)  # nights a status lasts
        out.append((serial, plat, model, name, user, group, zone, fate, period,
                    rnd.randrange(86400)))
    return out


def night_rows(devs, night, seed):
    """(serial, status, time, os_version, build, ...) for one night."""
    rnd = random.Random(f"night-{seed}-{night}")
    day = BASE + dt.timedelta(days=night)
    rows = []
    for i, (serial, plat, model, name, user, group, zone, fate, period, sec) in enumerate(devs):
        run = (night + i) // period
        when = day + dt.timedelta(seconds=(sec + 977 * night) % 86400)
        old = "26.0.1" if plat != "macOS" or i % 5 else "15.7.2"
        if plat == "iOS" and i % 9 == 0:
            old = "18.7.2"
        status, version = "Pass", "26.1"
        reason = ""
        if fate == "p":
            status = ["Pending", "Downloading", "Cached", "Installing", "Downloading"][(i + run) % 5]
            version = old
        elif fate == "e":
            status, version = ("Error", old) if (i + run) % 4 else ("Downloading", old)
            reason = REASONS[i % len(REASONS)] if status == "Error" else ""
        elif fate == "s":
            # Silent: the export re-lists its last report, 9+ days old.
            when = BASE - dt.timedelta(days=9, seconds=sec)
            status, version = "Pending", old
        elif fate == "x":
            status, version = "Incompatible", "15.7.2" if plat == "macOS" else "16.7.10"
        elif (i + run) % 11 == 0 and night % 3 == 0:
            status = "Installing"  # a compliant device mid-install still complies
        build = BUILDS.get(version, ("20H380", "20H380"))[0 if plat == "macOS" else 1]
        rows.append((serial, status, when, version, build, reason,
                     plat, model, name, user, group, zone,
                     rnd.randrange(10**6)))
    # Exports come in report-time order: serials in random order.
    rows.sort(key=lambda r: (r[2], r[0]))
    return rows


def write_canonical(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["serial_number", "status", "reported_at", "device_name", "user", "group",
                    "platform", "model", "os_version", "build_version", "extra_version",
                    "target_os_version", "target_build_version", "target_local_datetime",
                    "time_zone", "failure_count", "failure_reason"])
        for k, (serial, status, when, version, build, reason, plat, model, name, user, group,
                zone, _) in enumerate(rows):
            # One row in 20,000 (from the 778th) has a time no parser reads:
            # the rejected report.
            stamp = "last Tuesday" if k % 20000 == 777 else when.strftime("%Y-%m-%dT%H:%M:%SZ")
            w.writerow([serial, status, stamp, name, user, group,
                        plat, model, version, build, "", "", "", "", zone,
                        "1" if status == "Error" else "", reason])


# Kandji's Managed OS library items, by platform (its reporting script names
# the item type; only "*-release" rows speak of the OS, see kandji.fmt).
KANDJI_TYPE = {"macOS": "macos-release", "iOS": "ios-release", "iPadOS": "ipados-release"}


def write_kandji(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["serial_number", "device_name", "blueprint_name", "name", "status", "type",
                    "reported_at", "last_audit_log", "log"])
        for (serial, status, when, version, build, reason, plat, model, name, user, group,
             zone, usec) in rows:
            w.writerow([serial, name, group, f"{plat} 26.1 Enforcement", KANDJI_WORD[status],
                        KANDJI_TYPE.get(plat, "tvos-release"), when.strftime("%Y-%m-%d %H:%M:%S") + f".{usec:06d}+00:00",
                        "Device is on the required version" if status == "Pass"
                        else "Enforcement scheduled", reason])


def write_ddm(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for (serial, status, when, version, build, reason, plat, model, name, user, group,
             zone, usec) in rows:
            su = {"install-state": DDM_STATE[status],
                  "failure-reason": {"count": 1 if status == "Error" else 0}}
            if status == "Error":
                su["failure-reason"]["reason"] = reason
            if version != "26.1":
                su["pending-version"] = {"os-version": "26.1",
                                         "build-version": BUILDS["26.1"][0 if plat == "macOS" else 1]}
            family = {"macOS": "macOS", "iOS": "iOS", "iPadOS": "iPadOS"}.get(plat, "tvOS")
            report = {"StatusItems": {
                "device": {"identifier": {"serial-number": serial},
                           "model": {"identifier": model},
                           "operating-system": {"family": family, "version": version,
                                                "build-version": build}},
                "softwareupdate": su}, "Errors": [], "FullReport": True}
            env = {"received_at": when.strftime("%Y-%m-%dT%H:%M:%S") + f".{usec:06d}Z",
                   "enrollment_id": f"{usec:08X}-{serial}", "report": report}
            f.write(json.dumps(env, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")


def write_inventory(path, devs, last_night):
    day = BASE + dt.timedelta(days=last_night)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["serial_number", "device_name", "user", "group", "platform", "model",
                    "time_zone", "last_check_in", "os_version"])
        for (serial, plat, model, name, user, group, zone, fate, period, sec) in devs:
            seen = day - dt.timedelta(days=10 if fate == "s" else 0, seconds=sec)
            w.writerow([serial, name, user, group, plat, model, zone,
                        seen.strftime("%Y-%m-%dT%H:%M:%SZ"), ""])


def write_targets(path, devs, last_night):
    """macOS past its deadline, iOS due within the day, iPadOS in progress,
    Engineering earlier than the rest, a few serial-scoped; tvOS none."""
    asof = BASE + dt.timedelta(days=last_night + 1, hours=6)
    fmt = "%Y-%m-%dT%H:%M:%S"
    rows = [["macOS", "*", "", "26.1", "25B78", (asof - dt.timedelta(days=3)).strftime(fmt),
             "https://it.example.com/updates/macos-26-1"],
            ["macOS", "Engineering", "", "26.1", "25B78",
             (asof - dt.timedelta(days=5)).strftime(fmt), ""],
            ["iOS", "*", "", "26.1", "23B85", (asof + dt.timedelta(hours=14)).strftime(fmt),
             "https://it.example.com/updates/ios-26-1"],
            ["iPadOS", "*", "", "26.1", "23B85", (asof + dt.timedelta(days=9)).strftime(fmt), ""]]
    for d in devs[::997][:50]:
        if d[1] == "macOS":
            rows.append(["macOS", "", d[0], "26.1", "", (asof + dt.timedelta(days=2)).strftime(fmt),
                         ""])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["platform", "group", "serial_number", "target_os_version",
                    "target_build_version", "target_local_datetime", "details_url"])
        w.writerows(rows)


def as_of(last_night):
    return (BASE + dt.timedelta(days=last_night + 1, hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, required=True)
    ap.add_argument("--nights", type=int, default=1)
    ap.add_argument("--first-night", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--what", default="canonical,inventory,targets")
    ap.add_argument("out")
    a = ap.parse_args()
    what = set(a.what.split(","))
    os.makedirs(a.out, exist_ok=True)
    devs = fleet(a.devices, a.seed)
    last = a.nights - 1
    for night in range(a.first_night, a.nights):
        if not what & {"canonical", "kandji", "ddm"}:
            break
        rows = night_rows(devs, night, a.seed)
        if "canonical" in what:
            write_canonical(os.path.join(a.out, f"status-{night}.csv"), rows)
        if "kandji" in what:
            write_kandji(os.path.join(a.out, f"kandji-{night}.csv"), rows)
        if "ddm" in what:
            write_ddm(os.path.join(a.out, f"ddm-{night}.ndjson"), rows)
    if "inventory" in what:
        write_inventory(os.path.join(a.out, "inventory.csv"), devs, last)
    if "targets" in what:
        write_targets(os.path.join(a.out, "targets.csv"), devs, last)
    print(as_of(last))
    return 0


if __name__ == "__main__":
    sys.exit(main())
