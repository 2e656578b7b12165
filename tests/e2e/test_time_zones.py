"""Time zones and the deadline's instant: Apple's enforcement declaration
(softwareupdate.enforcement.specific) gives TargetLocalDateTime with no
zone, the device's own wall clock.  Each test checks an answer a user reads
against an independent computation (Python's zoneinfo)."""
import datetime
from zoneinfo import ZoneInfo

from lib import TARGETS_HEADER

UTC = datetime.timezone.utc
ISO = "%Y-%m-%dT%H:%M:%SZ"


def utc_of(wall, zone):
    """The instant of a wall time in zone, as the README's rule reads it:
    an overlap is the earlier instant (fold 0), a gap moves forward."""
    w = datetime.datetime.fromisoformat(wall)
    return w.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def inventory(rows):
    return ("serial_number,time_zone,platform,os_version,last_check_in\n" +
            "".join(f"{s},{z},{p},{v},{c}\n" for s, z, p, v, c in rows))


TARGETS_ZONE_HEADER = TARGETS_HEADER.rstrip("\n") + ",enforcement_time_zone\n"


def test_legacy_device_counts_the_target_whose_instant_comes_first(t):
    # A Mac below the DDM floor (macOS 13) is upgraded the legacy way: a
    # target's enforcement_time_zone reads its deadline, else the device's
    # own zone (README "Legacy enforcement").  With two unmet targets, the
    # earliest deadline counts; for this Mac the two are read in two zones,
    # so "earliest" is the earlier instant, not the smaller wall time:
    # 26.1 by 12:00 in Tokyo (03:00Z) passes 11 hours before 15.7.2 by
    # 09:00 in New York (14:00Z).  It was shown in progress towards 15.7.2
    # at 06:00Z, three hours after its 26.1 deadline had passed.
    inv = t.write("inv.csv", inventory([
        ("LG1", "Asia/Tokyo", "macOS", "13.6", "2026-12-01T05:00:00Z")]))
    tg = t.write("targets.csv", TARGETS_ZONE_HEADER +
                 "macOS,*,,15.7.2,,2026-12-01T09:00:00,,America/New_York\n"
                 "macOS,*,,26.1,,2026-12-01T12:00:00,,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-12-01T06:00:00Z", inv, tg)
    (d,) = t.csv("devices")
    tokyo = utc_of("2026-12-01T12:00:00", "Asia/Tokyo").strftime(ISO)
    ny = utc_of("2026-12-01T09:00:00", "America/New_York").strftime(ISO)
    assert tokyo < "2026-12-01T06:00:00Z" < ny, (tokyo, ny)
    assert (d["enforcement_mechanism"], d["target_os_version"], d["deadline_utc"],
            d["time_zone"], d["classification"]) == \
        ("legacy", "26.1", tokyo, "Asia/Tokyo", "past-deadline"), d
    assert [r["serial_number"] for r in t.csv("past-deadline")] == ["LG1"]


def test_patch_latency_reads_a_met_legacy_target_in_its_own_zone(t):
    # Patch latency measures a device's met targets of its scope too (a
    # staged rollout).  A legacy Mac (macOS 13, below the DDM floor) in
    # Tokyo met 13.7.1, due 09:00 New York time (its enforcement_time_zone,
    # 14:00Z); it is counted against 26.1 now, whose target has no zone
    # (its own, Tokyo).  The 13.7.1 deadline was read in Tokyo (00:00Z),
    # putting its patch 14 hours later after the deadline than it was.
    t.write("status.csv",
            "serial_number,status,reported_at,platform,os_version,time_zone\n"
            "LG2,Idle,2026-11-28T10:00:00Z,macOS,13.6,Asia/Tokyo\n"
            "LG2,Idle,2026-12-01T21:00:00Z,macOS,13.7.1,Asia/Tokyo\n")
    t.write("targets.csv", TARGETS_ZONE_HEADER +
            "macOS,*,,13.7.1,,2026-12-01T09:00:00,,America/New_York\n"
            "macOS,*,,26.1,,2026-12-20T09:00:00,,\n")
    t.ok("run", "--as-of", "2026-12-02T00:00:00Z", "--out", t.out,
         t.path("status.csv"), t.path("targets.csv"))
    (d,) = t.csv("devices")
    assert (d["enforcement_mechanism"], d["target_os_version"], d["time_zone"]) == \
        ("legacy", "26.1", "Asia/Tokyo"), d
    ny = utc_of("2026-12-01T09:00:00", "America/New_York")
    patched = datetime.datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    got = {r["target_os_version"]: r for r in t.csv("patch-latency")}
    row = got["13.7.1"]
    assert (row["deadline_utc"], row["patched_at"], row["state"]) == \
        (ny.strftime(ISO), patched.strftime(ISO), "patched"), row
    assert row["days_from_deadline"] == "%.1f" % ((patched - ny).total_seconds() / 86400), row
