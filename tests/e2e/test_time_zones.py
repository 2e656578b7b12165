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


