"""A second differential oracle, on the ground test_oracle.py leaves out:
legacy enforcement (devices below their platform's DDM floor, targets
with or without `enforcement_time_zone`), DDM JSON status reports (NDJSON
envelopes merged per device, later wins per item) and unenrolled devices
(NanoMDM's `mdm.CheckOut`).  Each fleet is seeded and random; an
independent Python reading of the README's rules predicts devices.csv
(and due-soon.csv's user_notice), compared with what `ddmreport run`
writes for the same inputs.

Legacy fleets (status CSV, inventory, targets with `enforcement_time_zone`
on some rows): macOS 12-26, iOS/iPadOS 15-26, tvOS around 18.4, visionOS 2
and 26, watchOS; the mechanism (unknown version: ddm), the zone that
reads the deadline and its source (`target`, else the device's own with
a note), a legacy device's targets and its own pending version compared
as instants, the enforcement (no enforcement hour for legacy), the
user_notice (empty for legacy).

DDM fleets: NDJSON envelopes (identified by the enrollment id learned
from a first report with a serial), then capture files
`<enrollment-id>.<YYYYMMDD-HHMMSS>.<usec>.status.json`, then a backlog of
envelopes older than what was fed (only items no newer report carried
again or dropped: see `backlog`), then a NanoMDM webhook log
(Authenticate, CheckOut).  The oracle merges each device's reports in
time order itself (`merge`): install states, pending versions (empty
strings: none), failure reasons, full reports dropping all but device
facts; then the same rules as the legacy fleets, plus the unenrolled
case of out-of-scope, its note and the not-reporting list.
"""
import base64
import datetime as dt
import json
import random
from zoneinfo import ZoneInfo

from lib import STATUS_HEADER
from test_oracle import (DAY, DUE_WITHIN, HOUR, STALE_AFTER, STUCK_AFTER, UTC,  # noqa: F401
                         epoch, iso, vcmp, vkey, wall, wall_to_utc)

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo",
         "Pacific/Chatham", "Pacific/Kiritimati", "Pacific/Pago_Pago",
         "America/Los_Angeles", "Australia/Adelaide", "America/St_Johns"]
GROUPS = ["Engineering", "Sales", "Lab"]

# Apple's schema of the enforcement declaration: DDM enforces from these
# versions; watchOS has none (always the legacy way).
FLOOR = {"macOS": "14", "iOS": "17", "iPadOS": "17", "tvOS": "18.4", "visionOS": "26"}
LEGACY_PLATFORMS = {
    "macOS": (["12.7.6", "13.6", "13.7.1", "13.7.8", "14.0", "14.7", "15.7", "26.0", "26.1"],
              ["13.7.2", "13.7.8", "14.8", "15.7.2", "26.1", "26.2"]),
    "iOS": (["15.8.4", "16.7.10", "16.7.12", "17.0", "18.7", "26.0", "26.1"],
            ["16.7.12", "17.7", "18.7.2", "26.1", "26.2"]),
    "iPadOS": (["16.7.10", "17.7", "26.0"], ["16.7.12", "26.1"]),
    "tvOS": (["17.6", "18.3", "18.4", "26.1"], ["18.4", "26.1", "26.2"]),
    "visionOS": (["2.4", "26.0", "26.1"], ["2.5", "26.1"]),
    "watchOS": (["10.6", "11.5", "26.1"], ["11.6", "26.1"]),
}
LEGACY_STATUSES = ["Pending", "Downloading", "Downloading", "Cached", "Installing",
                   "Pass", "Error", "Idle", "Unknown"]


def mechanism(platform, os_version):
    """ddm or legacy: below the platform's floor (watchOS: always);
    a device whose version is unknown is taken as ddm."""
    if platform == "watchOS":
        return "legacy"
    if not os_version or platform not in FLOOR:
        return "ddm"
    return "legacy" if vcmp(os_version, FLOOR[platform]) < 0 else "ddm"


def instants(deadline, zone):
    """(deadline_utc, deadline_earliest_utc) of a wall-clock deadline."""
    if zone:
        d = wall_to_utc(deadline, zone)
        return d, d
    w = int(wall(deadline).replace(tzinfo=UTC).timestamp())
    return w + 12 * HOUR, w - 14 * HOUR


def classify(as_of, status, below, d_utc, d_early, since, last_seen, unenrolled=False):
    heard = last_seen is not None and last_seen > as_of - STALE_AFTER
    if status in ("Incompatible", "Excluded") or unenrolled:
        return "out-of-scope"
    if not below:
        return "compliant"
    if as_of >= d_utc:
        return "past-deadline"
    if status == "Error":
        return "error"
    if status == "Downloading" and since <= as_of - STUCK_AFTER and heard:
        return "stuck-downloading"
    if not heard:
        return "not-reporting"
    if d_early <= as_of + DUE_WITHIN:
        return "due-soon"
    return "in-progress"


def enforcement(mech, deadline_utc, report_times, check_in, as_of):
    """past-deadline only: offline at the deadline, the OS's enforcement
    hour (DDM only) or failed."""
    after = [t for t in report_times if deadline_utc <= t <= as_of]
    first = min(after) if after else None
    if check_in is not None and check_in >= deadline_utc:
        first = min(first, check_in) if first is not None else check_in
    if first is None:
        return "offline-at-deadline"
    if mech == "ddm" and first > as_of - HOUR:
        return "enforcement-hour"
    return "enforcement-failed"


def user_notice(mech, d_utc, as_of):
    if mech != "ddm":
        return ""
    left = d_utc - as_of
    return "daily" if left > DAY else "hourly" if left > HOUR else "final-hour"


# --- 1. legacy enforcement ----------------------------------------------

def legacy_oracle(inv, rows, targets, as_of, checkouts=None, enrolls=None, decls=None):
    """Per serial, what devices.csv says.  CHECKOUTS: serial -> the times
    of the MDM's CheckOut events (unenrolled until heard from again);
    ENROLLS: the times of its Authenticate events (enrolled again);
    DECLS: the declaration targets its latest report lists as active
    (they compete with the winning scope's targets)."""
    out = {}
    by_dev = {}
    for r in rows:
        if r["at"] <= as_of:
            by_dev.setdefault(r["serial"], []).append(r)
    for s in sorted(set(inv) | set(by_dev)):
        i = inv.get(s)
        reps = sorted(by_dev.get(s, []), key=lambda r: r["at"])
        last = reps[-1] if reps else None
        platform = (i and i["platform"]) or last["platform"]
        group = i["group"] if i else ""
        status = last["status"] if last else "Unknown"
        since = None
        if last:
            since = last["at"]
            for r in reversed(reps):
                if r["status"] != status:
                    break
                since = r["at"]
        check_in = i["check_in"] if i and i["check_in"] is not None and i["check_in"] <= as_of else None
        seen = [t for t in (last and last["at"], check_in) if t is not None]
        last_seen = max(seen) if seen else None
        readings = [(r["at"], r["os"]) for r in reps if r["os"]]
        if i and i["os"] and check_in is not None:
            readings.append((check_in, i["os"]))
        os_version = max(readings, key=lambda x: x[0])[1] if readings else None
        rz = last["tz"] if last else ""
        iz = i["tz"] if i else ""
        if rz and (not iz or (check_in is not None and last["at"] > check_in and rz != iz)):
            dzone, dsrc = rz, "status"
        elif iz:
            dzone, dsrc = iz, "inventory"
        else:
            dzone, dsrc = None, "none"
        mech = mechanism(platform, os_version)
        gone = [c for c in (checkouts or {}).get(s, []) if c <= as_of]
        back = [a for a in (enrolls or {}).get(s, []) if a <= as_of]
        unenrolled = max(gone) if gone and (last_seen is None or max(gone) >= last_seen) \
            and not (back and max(back) > max(gone)) else None

        def meets(tv):
            if os_version is None:
                return status == "Pass"
            return vcmp(os_version, tv) >= 0

        def zone_of(t):
            """The zone that reads a configured target's deadline: a legacy
            device's target's enforcement zone, else the device's own."""
            if mech == "legacy" and t.get("etz"):
                return t["etz"], "target"
            return dzone, dsrc

        def due(t):
            # a legacy device's targets compare as instants, each read in
            # its own zone; a DDM device's as wall-clock times alike
            if mech == "legacy":
                return instants(t["deadline"], zone_of(t)[0])[0]
            return int(wall(t["deadline"]).replace(tzinfo=UTC).timestamp())

        cands = []
        for pick in (lambda t: t["serial"] == s,
                     lambda t: not t["serial"] and t["group"] != "*" and group
                     and t["group"].lower() == group.lower() and t["platform"] == platform,
                     lambda t: not t["serial"] and t["group"] == "*" and t["platform"] == platform):
            cands = [t for t in targets if pick(t)]
            if cands:
                break
        cands = cands + (decls or {}).get(s, [])
        best = None
        if cands:
            unmet = [t for t in cands if not meets(t["version"])]
            if unmet:
                first = min(due(t) for t in unmet)
                best = max((t for t in unmet if due(t) == first), key=lambda t: vkey(t["version"]))
            else:
                best = max(cands, key=lambda t: (wall(t["deadline"]), vkey(t["version"])))
        # the device's own pending version: only while the device is below
        # it, not below the configured target, not above an unmet one due
        # before it (a legacy device: the instants, its own deadline read
        # in its own zone)
        own = None
        if last and last.get("tov"):
            own = {"version": last["tov"], "deadline": last["tld"], "etz": "", "own": True}
        if own and not meets(own["version"]):
            if best is None or vcmp(own["version"], best["version"]) == 0:
                best = own
            elif vcmp(own["version"], best["version"]) > 0 and (
                    meets(best["version"]) or due(best) >= due(own)):
                best = own
        elif own and best is None:
            best = own
        row = {"classification": "", "enforcement_mechanism": mech, "enforcement": "",
               "target_os_version": "", "deadline_utc": "", "deadline_earliest_utc": "",
               "time_zone_source": dsrc, "time_zone": dzone or "", "os_version": os_version or "",
               "status": status, "status_since": iso(since) if since else "",
               "failure_count": str(last.get("fc", "")) if last else "",
               "failure_reason": last.get("fr", "") if last else "",
               "not_reporting": (last_seen is None or last_seen <= as_of - STALE_AFTER)
               and unenrolled is None}
        if unenrolled is not None:
            row["unenrolled_note"] = f"unenrolled: the MDM's CheckOut at {iso(unenrolled)}"
        if best is None:
            row["classification"] = ("out-of-scope" if status in ("Incompatible", "Excluded")
                                     or unenrolled is not None else "no-target")
            out[s] = row
            continue
        zone, zsrc = zone_of(best)
        d_utc, d_early = instants(best["deadline"], zone)
        below = (not meets(best["version"]) and status not in ("Incompatible", "Excluded")
                 and unenrolled is None)
        cls = classify(as_of, status, below, d_utc, d_early, since, last_seen, unenrolled is not None)
        row.update(classification=cls, target_os_version=best["version"],
                   deadline_utc=iso(d_utc), deadline_earliest_utc=iso(d_early),
                   time_zone_source=zsrc, time_zone=zone or "")
        if mech == "legacy":
            row["note"] = ("deadline in the target's enforcement zone" if zsrc == "target"
                           else "the target has no enforcement_time_zone, deadline in the device's zone")
        if cls == "past-deadline":
            row["enforcement"] = enforcement(mech, d_utc, [r["at"] for r in reps], check_in, as_of)
        if below and as_of < d_utc and d_early <= as_of + DUE_WITHIN:
            row["user_notice"] = user_notice(mech, d_utc, as_of)
        out[s] = row
    return out


def legacy_fleet(seed, n=200, nights=5):
    rnd = random.Random(seed)
    base = epoch("2026-11-18T00:00:00Z") + rnd.randrange(0, 3 * DAY)
    as_of = base + nights * DAY + rnd.randrange(-DAY, DAY)
    near = dt_naive(as_of)

    def deadline():
        w = near + _td(rnd.randrange(-2 * DAY, 2 * DAY))
        w = w.replace(minute=rnd.choice([0, 0, 30, w.minute]), second=0)
        return w.strftime("%Y-%m-%dT%H:%M:%S")

    def etz():
        return rnd.choice(ZONES) if rnd.random() < 0.6 else ""

    targets = []
    for p, (_, tvs) in LEGACY_PLATFORMS.items():
        for _ in range(rnd.choice([1, 1, 2, 3])):
            targets.append({"platform": p, "group": "*", "serial": "", "version": rnd.choice(tvs),
                            "deadline": deadline(), "etz": etz()})
        for g in GROUPS:
            for _ in range(rnd.choice([0, 0, 1, 2])):
                targets.append({"platform": p, "group": g, "serial": "", "version": rnd.choice(tvs),
                                "deadline": deadline(), "etz": etz()})
    inv, rows = {}, []
    for k in range(n):
        s = f"C02LG{k:05d}"
        p = rnd.choice(list(LEGACY_PLATFORMS))
        versions, tvs = LEGACY_PLATFORMS[p]
        vi = rnd.randrange(len(versions))
        zone = rnd.choice(ZONES + [""])
        if rnd.random() < 0.25:
            for _ in range(rnd.choice([1, 2])):
                z = etz()
                d = deadline()
                if rnd.random() < 0.5 and (z or zone):
                    # due in the last two hours (read in the zone that
                    # counts when the device is legacy): the enforcement
                    # hour is the OS's, DDM devices' only
                    w = dt.datetime.fromtimestamp(as_of - rnd.randrange(0, 2 * HOUR),
                                                  ZoneInfo(z or zone))
                    d = w.strftime("%Y-%m-%dT%H:%M:00")
                targets.append({"platform": p, "group": "", "serial": s, "version": rnd.choice(tvs),
                                "deadline": d, "etz": z})
        stop = rnd.choice([nights] * 5 + list(range(1, nights)))
        status = rnd.choice(LEGACY_STATUSES)
        pending = (rnd.choice(tvs), deadline()) if rnd.random() < 0.15 else None
        for night in range(stop):
            if rnd.random() < 0.2:
                continue
            if rnd.random() < 0.3:
                status = rnd.choice(LEGACY_STATUSES)
            if rnd.random() < 0.15 and vi + 1 < len(versions):
                vi += 1
            at = base + night * DAY + rnd.randrange(0, DAY)
            rows.append({"serial": s, "status": status, "at": at, "platform": p,
                         "os": versions[vi] if rnd.random() < 0.85 else "",
                         "tz": zone if rnd.random() < 0.7 else rnd.choice(ZONES + ["", ""]),
                         "tov": pending[0] if pending else "", "tld": pending[1] if pending else ""})
        if stop == nights and rnd.random() < 0.5:
            # a report in the last hours: the enforcement hour, or not
            rows.append({"serial": s, "status": status, "at": as_of - rnd.randrange(0, 3 * HOUR),
                         "platform": p, "os": versions[vi], "tz": zone,
                         "tov": pending[0] if pending else "", "tld": pending[1] if pending else ""})
        if rnd.random() < 0.85:
            ci = base + rnd.randrange(0, nights * DAY + DAY) if rnd.random() < 0.85 else None
            inv[s] = {"group": rnd.choice(GROUPS + [""]), "platform": p,
                      "tz": zone if rnd.random() < 0.8 else rnd.choice(ZONES + [""]),
                      "check_in": ci,
                      "os": rnd.choice(versions) if ci is not None and rnd.random() < 0.6 else ""}
    return inv, rows, targets, as_of


def dt_naive(t):
    return dt.datetime.fromtimestamp(t, UTC).replace(tzinfo=None)


def _td(seconds):
    return dt.timedelta(seconds=seconds)


INV_HEADER = "serial_number,group,platform,time_zone,last_check_in,os_version\n"
LEGACY_TARGETS_HEADER = ("platform,group,serial_number,target_os_version,target_local_datetime,"
                         "enforcement_time_zone\n")


def write_legacy(t, name, inv, rows, targets):
    st = [STATUS_HEADER]
    for r in rows:
        st.append(",".join([r["serial"], r["status"], iso(r["at"]), "", "", "", r["platform"],
                            "", r["os"], "", "", r["tov"], "", r["tld"], r["tz"], "", ""]) + "\n")
    iv = [INV_HEADER] + [",".join([s, i["group"], i["platform"], i["tz"],
                                   iso(i["check_in"]) if i["check_in"] is not None else "",
                                   i["os"]]) + "\n" for s, i in inv.items()]
    tg = [LEGACY_TARGETS_HEADER] + [",".join([x["platform"], x["group"], x["serial"], x["version"],
                                              x["deadline"], x["etz"]]) + "\n" for x in targets]
    return [t.write(f"{name}/status.csv", "".join(st)), t.write(f"{name}/inventory.csv", "".join(iv)),
            t.write(f"{name}/targets.csv", "".join(tg))]


LEGACY_FIELDS = ("classification", "enforcement_mechanism", "enforcement", "target_os_version",
                 "deadline_utc", "deadline_earliest_utc", "time_zone_source", "time_zone",
                 "os_version", "status", "status_since")


def run_and_compare(t, name, files, want, as_of, fields):
    out = t.path(f"out-{name}")
    r = t.run("run", "--db", t.path(f"{name}.db"), "--out", out, "--as-of", iso(as_of),
              "--max-rejected", "100%", *files)
    assert r.rc == 0, r
    got = {d["serial_number"]: d for d in t.csv("devices", where=out)}
    notices = {d["serial_number"]: d["user_notice"] for d in t.csv("due-soon", where=out)}
    silent = {d["serial_number"] for d in t.csv("not-reporting", where=out)}
    diffs = []
    for s in sorted(set(got) | set(want)):
        if s not in got or s not in want:
            diffs.append((s, "listed by", "tool" if s in got else "oracle"))
            continue
        for f in fields:
            if f in want[s] and got[s][f] != want[s][f]:
                diffs.append((s, f, "tool", got[s][f], "oracle", want[s][f]))
        if "note" in want[s] and want[s]["note"] not in got[s]["notes"]:
            diffs.append((s, "notes", "tool", got[s]["notes"], "oracle", want[s]["note"]))
        if "note" not in want[s] and "legacy enforcement" in got[s]["notes"]:
            diffs.append((s, "notes", "tool", got[s]["notes"], "oracle", "no legacy note"))
        un = want[s].get("unenrolled_note")
        if (un is None) != ("unenrolled:" not in got[s]["notes"]) or (un and un not in got[s]["notes"]):
            diffs.append((s, "notes", "tool", got[s]["notes"], "oracle", un))
        if (s in silent) != want[s]["not_reporting"]:
            diffs.append((s, "not-reporting list", "tool", s in silent, "oracle", want[s]["not_reporting"]))
        wn = want[s].get("user_notice")
        if (s in notices) != (wn is not None) or (wn is not None and notices[s] != wn):
            diffs.append((s, "due-soon user_notice", "tool", notices.get(s), "oracle", wn))
    return diffs, got


def test_oracle2_legacy_fleets_agree(t):
    for seed in (5, 11, 23):
        inv, rows, targets, as_of = legacy_fleet(seed)
        files = write_legacy(t, f"lg{seed}", inv, rows, targets)
        want = legacy_oracle(inv, rows, targets, as_of)
        diffs, got = run_and_compare(t, f"lg{seed}", files, want, as_of, LEGACY_FIELDS)
        assert not diffs, f"seed {seed}: {len(diffs)} differences, first: {diffs[:6]}"
        # the fleet exercises what it is meant to
        mechs = {(d["enforcement_mechanism"], d["time_zone_source"]) for d in got.values()
                 if d["target_os_version"]}
        assert ("legacy", "target") in mechs and ("legacy", "inventory") in mechs, mechs


def test_a_device_s_own_pending_version_without_a_build_keeps_its_notes(t):
    # Found by the oracle: a device below the pending version it reports
    # itself, with no pending build (a status CSV's target_build_version
    # left empty), lost every note: the supplemental-build sentence was
    # built from that missing build, and one missing part emptied the
    # whole notes column -- the legacy enforcement sentence, the no-zone
    # rule, the default zone.
    st = t.write("s.csv", STATUS_HEADER +
                 "C02OWN000001,Downloading,2026-11-22T10:00:00Z,,,,iOS,,16.7.10,,,17.7,,"
                 "2026-11-24T13:00:00,Asia/Kolkata,,\n"
                 "C02OWN000002,Downloading,2026-11-22T10:00:00Z,,,,macOS,,26.0,,,26.1,,"
                 "2026-11-28T13:00:00,,,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-24T12:00:00Z", st)
    got = {d["serial_number"]: d for d in t.csv("devices")}
    legacy, nozone = got["C02OWN000001"], got["C02OWN000002"]
    assert (legacy["target_scope"], legacy["enforcement_mechanism"]) == ("device", "legacy"), legacy
    assert legacy["notes"] == ("legacy enforcement (OS below the DDM floor): the target has no "
                               "enforcement_time_zone, deadline in the device's zone, no "
                               "enforcement hour"), legacy
    assert nozone["target_scope"] == "device", nozone
    assert nozone["notes"] == ("no time zone: deadline_utc read as UTC-12 (certainly past), "
                               "deadline_earliest_utc as UTC+14"), nozone


def test_legacy_device_s_own_pending_version_against_a_target_compares_instants(t):
    # Found by the oracle: an Apple TV on 18.3 (below tvOS 18.4, the DDM
    # floor: legacy) reports pending 26.1 due 21:31 in its St. John's zone
    # (01:01Z); the platform's 18.4 is due 16:00 in the target's
    # enforcement zone, Pago Pago (03:00Z), after it.  The tool compared
    # the two wall-clock times (16:00 before 21:31) and let the 18.4
    # stand; read as instants, as a legacy device's targets are, 18.4 is
    # not due before the device's own deadline, which counts.  Its twin
    # with 18.4 due 20:00 New York time (01:00Z), before it, keeps 18.4.
    st = t.write("s.csv", STATUS_HEADER + "".join(
        f"{s},Installing,2026-11-26T05:41:37Z,,,,tvOS,,18.3,,,26.1,,2026-11-26T21:31:00,"
        "America/St_Johns,,\n" for s in ("C02TV0000001", "C02TV0000002")))
    tg = t.write("t.csv", LEGACY_TARGETS_HEADER +
                 "tvOS,,C02TV0000001,18.4,2026-11-26T16:00:00,Pacific/Pago_Pago\n"
                 "tvOS,,C02TV0000002,18.4,2026-11-26T20:00:00,America/New_York\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-26T08:31:07Z", st, tg)
    got = {d["serial_number"]: d for d in t.csv("devices")}
    a, b = got["C02TV0000001"], got["C02TV0000002"]
    assert (a["enforcement_mechanism"], a["target_os_version"], a["target_scope"],
            a["deadline_utc"], a["time_zone_source"]) == \
        ("legacy", "26.1", "device", "2026-11-27T01:01:00Z", "status"), a
    assert (b["enforcement_mechanism"], b["target_os_version"], b["target_scope"],
            b["deadline_utc"], b["time_zone_source"]) == \
        ("legacy", "18.4", "serial", "2026-11-27T01:00:00Z", "target"), b


# --- 2. DDM status reports (NDJSON envelopes, captures) and 3. CheckOut ----

DDM_PLATFORMS = {"macOS": (["13.7.1", "14.7", "15.7", "15.7.2", "26.0", "26.0.1", "26.1"],
                           ["15.7.2", "26.0.1", "26.1", "26.2"]),
                 "iOS": (["16.7.10", "17.7", "18.7", "26.0", "26.1"], ["18.7.2", "26.1", "26.2"])}
INSTALL_STATES = {"none": "Idle", "waiting": "Pending", "downloading": "Downloading",
                  "prepared": "Cached", "installing": "Installing", "failed": "Error"}
DEVICE_FIELDS = ("os", "platform")


def merge(reports):
    """The README's merge, reports in time order: each item a report
    carries replaces that item's fields (pending-version and failure-reason
    whole); a full report drops every field not of `device.*` it does not
    carry.  One observation of the merged state per report."""
    state, obs = {}, []
    for rep in reports:
        items = rep["items"]
        if rep["full"]:
            state = {k: v for k, v in state.items() if k in DEVICE_FIELDS}
        osys = items.get("device", {}).get("operating-system", {})
        if "version" in osys:
            state["os"] = osys["version"]
        if "family" in osys:
            state["platform"] = osys["family"]
        su = items.get("softwareupdate", {})
        if "install-state" in su:
            state["status"] = INSTALL_STATES[su["install-state"]]
        if "pending-version" in su:
            pv = su["pending-version"]
            state["tov"], state["tld"] = pv.get("os-version", ""), pv.get("target-local-date-time", "")
        if "failure-reason" in su:
            fr = su["failure-reason"]
            state["fc"], state["fr"] = fr.get("count", ""), fr.get("reason", "")
        obs.append({"serial": rep["serial"], "at": rep["at"], "status": state.get("status", "Unknown"),
                    "platform": state.get("platform", ""), "os": state.get("os", ""), "tz": "",
                    "tov": state.get("tov", ""), "tld": state.get("tld", "") if state.get("tov") else "",
                    "fc": state.get("fc", ""), "fr": state.get("fr", "")})
    return obs


def _carried(items):
    su, osys = items.get("softwareupdate", {}), items.get("device", {}).get("operating-system", {})
    return {("su", k) for k in su} | {("os", k) for k in osys}


def backlog(reports, j):
    """Makes report j one a collector feeds late, after the newer ones, if
    it can be: the README's history of a backlog is the one the device
    reported (the merge in time order) for the items no newer report
    carried again or dropped (a full report: the set keeps only the newest
    report of an item and the newest full report, not which reports
    between carried it) and, but for device facts, that the device had
    reported before it (a value unknown before may have been dropped since
    by a full report): the other items are left out of it."""
    newer = set().union(*(_carried(r["items"]) for r in reports[j + 1:]))
    full_since = any(r["full"] for r in reports[j + 1:])
    before = merge(reports[:j])[-1]
    items = reports[j]["items"]
    su = items.get("softwareupdate", {})
    osys = items.get("device", {}).get("operating-system", {})
    for k in list(su):
        if ("su", k) in newer or full_since or (k == "install-state" and before["status"] == "Unknown") \
                or (k == "failure-reason" and before["fc"] == ""):
            del su[k]
    for k in list(osys):
        if ("os", k) in newer:
            del osys[k]
    for part, key in (("softwareupdate", None), ("device", "operating-system")):
        if key and key in items.get(part, {}) and not items[part][key]:
            del items[part][key]
        if part in items and not items[part]:
            del items[part]
    return bool(_carried(items))


def ddm_fleet(seed, n=200, nights=5):
    rnd = random.Random(seed)
    base = epoch("2026-11-18T00:00:00Z") + rnd.randrange(0, 3 * DAY)
    as_of = base + nights * DAY + rnd.randrange(-DAY, DAY)
    near = dt_naive(as_of)

    def deadline():
        w = near + _td(rnd.randrange(-2 * DAY, 2 * DAY))
        return w.replace(minute=rnd.choice([0, 30, w.minute]), second=0).strftime("%Y-%m-%dT%H:%M:%S")

    targets = []
    for p, (_, tvs) in DDM_PLATFORMS.items():
        for _ in range(rnd.choice([1, 2])):
            targets.append({"platform": p, "group": "*", "serial": "", "version": rnd.choice(tvs),
                            "deadline": deadline(), "etz": rnd.choice(ZONES + [""])})
        for g in GROUPS:
            if rnd.random() < 0.5:
                targets.append({"platform": p, "group": g, "serial": "", "version": rnd.choice(tvs),
                                "deadline": deadline(), "etz": rnd.choice(ZONES + [""])})
    inv, devices, checkouts = {}, [], {}
    for k in range(n):
        s = f"C02DD{k:05d}"
        eid = "%08X-0000-4000-8000-%012X" % (seed, k)
        p = rnd.choice(list(DDM_PLATFORMS))
        versions, tvs = DDM_PLATFORMS[p]
        vi = rnd.randrange(len(versions))
        state = rnd.choice(list(INSTALL_STATES))
        pending = None
        reports = []
        at = base + rnd.randrange(0, DAY // 2)
        stop = base + rnd.choice([nights * DAY] * 4 + [k * DAY for k in range(1, nights)])
        while at < min(stop, as_of + DAY):
            first = not reports
            full = first or rnd.random() < 0.2
            items = {"device": {}, "softwareupdate": {}}
            if first or rnd.random() < 0.3:
                items["device"]["identifier"] = {"serial-number": s}
            if rnd.random() < 0.15 and vi + 1 < len(versions):
                vi += 1
            if (full and rnd.random() < 0.9) or rnd.random() < 0.3:
                items["device"]["operating-system"] = {"version": versions[vi]}
                if rnd.random() < 0.7:
                    items["device"]["operating-system"]["family"] = p
            if rnd.random() < 0.4:
                state = rnd.choice(list(INSTALL_STATES))
            if (full and rnd.random() < 0.9) or rnd.random() < 0.6:
                items["softwareupdate"]["install-state"] = state
            if rnd.random() < 0.25:
                if pending is None or rnd.random() < 0.3:
                    pending = (rnd.choice(tvs), deadline()) if rnd.random() < 0.7 else ("", "")
                pv = {"os-version": pending[0], "target-local-date-time": pending[1]}
                if pending[0] and rnd.random() < 0.5:
                    pv["build-version"] = "25B%d" % rnd.randrange(70, 90)
                items["softwareupdate"]["pending-version"] = pv
            if rnd.random() < 0.15:
                items["softwareupdate"]["failure-reason"] = {
                    "count": rnd.randrange(1, 5), "reason": rnd.choice(["Not enough space", "Network"]),
                    "timestamp": iso(at)}
            items = {k2: v for k2, v in items.items() if v}
            reports.append({"serial": s, "eid": eid, "at": at, "full": full, "items": items})
            at += rnd.randrange(HOUR, 2 * DAY)
        # the reports after a split point go as capture files; a device in
        # four comes in NanoMDM's webhook log instead (DeclarativeManagement
        # check-ins to the status endpoint)
        hooked = rnd.random() < 0.25
        split = len(reports) if hooked else rnd.randrange(len(reports) + 1)
        for j, rep in enumerate(reports):
            rep["hook"] = hooked
            rep["capture"] = j >= split and j > 0
            # a collector's backlog, fed after the newer reports: the
            # history and the current state read as if fed in order
            rep["late"] = (not hooked and not rep["capture"] and j > 0 and not rep["full"]
                           and rnd.random() < 0.2 and backlog(reports, j))
        devices.append(reports)
        if rnd.random() < 0.8:
            ci = base + rnd.randrange(0, nights * DAY + DAY) if rnd.random() < 0.6 else None
            inv[s] = {"group": rnd.choice(GROUPS + [""]), "platform": p,
                      "tz": rnd.choice(ZONES + [""]), "check_in": ci,
                      "os": rnd.choice(versions) if ci is not None and rnd.random() < 0.5 else ""}
        if rnd.random() < 0.2:
            # unenrolled: a CheckOut before, between or after its reports
            times = [r["at"] for r in reports] or [base]
            checkouts[s] = [rnd.choice(times) + rnd.choice([-HOUR, HOUR, 2 * DAY, 0])]
            if rnd.random() < 0.3:
                # enrolled again (a new Authenticate), maybe after the as-of
                checkouts[s].append(checkouts[s][0] + rnd.choice([HOUR, DAY, 3 * DAY]))
    return inv, devices, targets, checkouts, as_of


def _plist(message_type, udid, serial=None):
    keys = [("MessageType", message_type), ("UDID", udid), ("Topic", "com.apple.mgmt.X")]
    if serial:
        keys.append(("SerialNumber", serial))
    body = "".join("\t<key>%s</key>\n\t<string>%s</string>\n" % kv for kv in keys)
    x = ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n%s</dict>\n'
         '</plist>\n' % body)
    return base64.b64encode(x.encode()).decode()


def _dm_plist(udid, data):
    x = ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
         '\t<key>Data</key>\n\t<data>%s</data>\n\t<key>Endpoint</key>\n\t<string>status</string>\n'
         '\t<key>MessageType</key>\n\t<string>DeclarativeManagement</string>\n'
         '\t<key>UDID</key>\n\t<string>%s</string>\n</dict>\n</plist>\n'
         % (base64.b64encode(data.encode()).decode(), udid))
    return base64.b64encode(x.encode()).decode()


def _nano(topic, at, udid, payload):
    return json.dumps({"topic": topic, "event_id": f"e-{udid}-{at}", "created_at": iso(at),
                       "checkin_event": {"udid": udid, "enrollment_id": udid,
                                         "raw_payload": payload}}) + "\n"


def write_ddm(t, name, inv, devices, targets, checkouts, base):
    env, late = [], []
    for reports in devices:
        for rep in reports:
            doc = {"StatusItems": rep["items"], "Errors": [], "FullReport": rep["full"]}
            if rep["hook"]:
                continue
            if rep["capture"]:
                d = dt_naive(rep["at"])
                t.write(f"{name}/captures/{rep['eid']}.{d.strftime('%Y%m%d-%H%M%S')}.000000.status.json",
                        json.dumps(doc))
            else:
                (late if rep["late"] else env).append((rep["at"], json.dumps({"received_at": iso(rep["at"]), "enrollment_id": rep["eid"],
                                                   "report": doc}) + "\n"))
    env.sort()
    hook = []
    for reports in devices:
        s, eid = reports[0]["serial"], reports[0]["eid"]
        if s in checkouts or reports[0]["hook"]:
            hook.append((base - DAY, _nano("mdm.Authenticate", base - DAY, eid,
                                           _plist("Authenticate", eid, s))))
        for k, c in enumerate(checkouts.get(s, [])):
            if k == 0:
                hook.append((c, _nano("mdm.CheckOut", c, eid, _plist("CheckOut", eid))))
            else:
                hook.append((c, _nano("mdm.Authenticate", c, eid, _plist("Authenticate", eid, s))))
        for rep in reports:
            if rep["hook"]:
                doc = {"StatusItems": rep["items"], "Errors": [], "FullReport": rep["full"]}
                hook.append((rep["at"], _nano("mdm.DeclarativeManagement", rep["at"], eid,
                                              _dm_plist(eid, json.dumps(doc)))))
    hook = [x for _, x in sorted(hook, key=lambda h: h[0])]
    iv = [INV_HEADER] + [",".join([s, i["group"], i["platform"], i["tz"],
                                   iso(i["check_in"]) if i["check_in"] is not None else "",
                                   i["os"]]) + "\n" for s, i in inv.items()]
    tg = [LEGACY_TARGETS_HEADER] + [",".join([x["platform"], x["group"], x["serial"], x["version"],
                                              x["deadline"], x["etz"]]) + "\n" for x in targets]
    files = [t.write(f"{name}/inventory.csv", "".join(iv)), t.write(f"{name}/targets.csv", "".join(tg)),
             t.write(f"{name}/envelopes.ndjson", "".join(x for _, x in env))]
    if any(r["capture"] for reports in devices for r in reports):
        files.append(t.path(f"{name}/captures"))
    if late:
        files.append(t.write(f"{name}/backlog.ndjson", "".join(x for _, x in sorted(late))))
    if hook:
        files.append(t.write(f"{name}/webhook.ndjson", "".join(hook)))
    return files


DDM_FIELDS = LEGACY_FIELDS + ("failure_count", "failure_reason", "platform")


def ddm_compare(t, seed):
    inv, devices, targets, checkouts, as_of = ddm_fleet(seed)
    base = min(r["at"] for reports in devices for r in reports)
    files = write_ddm(t, f"dd{seed}", inv, devices, targets, checkouts, base)
    rows = [o for reports in devices for o in merge(reports)]
    # checkouts[s]: the CheckOut, then an Authenticate enrolling it again
    want = legacy_oracle(inv, rows, targets, as_of, {s: c[:1] for s, c in checkouts.items()},
                         {s: c[1:] + [base - DAY] for s, c in checkouts.items()})
    # a device whose reports are all after the as-of, and no inventory row:
    # not a device yet
    return run_and_compare(t, f"dd{seed}", files, want, as_of, DDM_FIELDS)


def test_oracle2_ddm_reports_and_checkouts_agree(t):
    for seed in (3, 8):
        diffs, got = ddm_compare(t, seed)
        assert not diffs, f"seed {seed}: {len(diffs)} differences, first: {diffs[:6]}"
        gone = sum("unenrolled:" in d["notes"] for d in got.values())
        assert gone >= 2, gone


def _env_line(at, serial, items, full=False):
    return json.dumps({"received_at": at, "serial_number": serial,
                       "report": {"StatusItems": items, "Errors": [], "FullReport": full}}) + "\n"


def test_a_backlog_s_install_state_is_the_device_s_latest_when_no_report_since_carried_one(t):
    # Found by the oracle: a Mac downloading on Nov 20 reported "failed"
    # (count 2) on Nov 22 and only its new OS build on Nov 23; the collector
    # fed the Nov 22 report a night late, after the Nov 23 one.  The tool
    # kept the Nov 23 observation as it was stored, Downloading, so the
    # device's latest status hid its Error (and its failure count) though
    # the device never reported a download since the failure: fed in time
    # order the same reports say Error since Nov 22.
    mac = {"device": {"operating-system": {"version": "26.0", "family": "macOS"}},
           "softwareupdate": {"install-state": "downloading",
                              "failure-reason": {"count": 1, "reason": "Network"}}}
    first = t.write("a.ndjson", _env_line("2026-11-20T10:00:00Z", "C02BACKLOG1", mac, True) +
                    _env_line("2026-11-23T10:00:00Z", "C02BACKLOG1",
                              {"device": {"operating-system": {"version": "26.0.1"}}}))
    late = t.write("b.ndjson", _env_line("2026-11-22T10:00:00Z", "C02BACKLOG1", {
        "softwareupdate": {"install-state": "failed",
                           "failure-reason": {"count": 2, "reason": "Not enough space"}}}))
    tg = t.write("t.csv", LEGACY_TARGETS_HEADER + "macOS,*,,26.1,2026-11-28T12:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-24T12:00:00Z", tg, first, late)
    d = t.csv("devices")[0]
    assert (d["classification"], d["status"], d["status_since"], d["os_version"],
            d["failure_count"], d["failure_reason"]) == \
        ("error", "Error", "2026-11-22T10:00:00Z", "26.0.1", "2", "Not enough space"), d
    assert [x["serial_number"] for x in t.csv("errors")] == ["C02BACKLOG1"]


def test_a_backlog_report_does_not_bring_back_what_a_newer_full_report_dropped(t):
    # Found by the oracle: an iPhone reported pending 26.2 due Nov 24, then
    # a full report on Nov 22 with no pending version (nothing pending any
    # more).  An incremental report from Nov 21, fed late, repeating the
    # pending version with an earlier deadline, set it again into the
    # device's state and into the newer observations, which had none: the
    # phone was past a deadline its own full report had withdrawn.  And a
    # report fed late before a newer full report reads what the device had
    # said by its time, not the state the full report left.
    first = t.write("a.ndjson", "".join([
        _env_line("2026-11-19T07:00:00Z", "C02BACKLOG2", {
            "device": {"operating-system": {"version": "26.0", "family": "iOS"}},
            "softwareupdate": {"install-state": "downloading",
                               "failure-reason": {"count": 3, "reason": "Network"},
                               "pending-version": {"os-version": "26.2",
                                                   "target-local-date-time": "2026-11-24T05:30:00"}}},
                  True),
        _env_line("2026-11-22T15:00:00Z", "C02BACKLOG2",
                  {"softwareupdate": {"install-state": "installing"}}, True),
        _env_line("2026-11-23T09:00:00Z", "C02BACKLOG2",
                  {"device": {"operating-system": {"version": "26.0"}}})]))
    late = t.write("b.ndjson", _env_line("2026-11-21T03:00:00Z", "C02BACKLOG2", {
        "softwareupdate": {"pending-version": {"os-version": "26.2",
                                               "target-local-date-time": "2026-11-21T14:00:00"}}}))
    t.ok("run", "--out", t.out, "--as-of", "2026-11-23T12:00:00Z", "--default-tz", "UTC", first, late)
    d = t.csv("devices")[0]
    assert (d["classification"], d["status"], d["target_os_version"], d["failure_count"]) == \
        ("no-target", "Installing", "", ""), d
    # as of Nov 21 (the late report's own observation): still its failure
    # and its own deadline, then past
    t.ok("report", "--out", t.path("o2"), "--as-of", "2026-11-21T15:00:00Z", "--default-tz", "UTC",
         "devices")
    d = t.csv("devices", where=t.path("o2"))[0]
    assert (d["classification"], d["status"], d["target_os_version"], d["deadline_local"],
            d["failure_count"], d["failure_reason"]) == \
        ("past-deadline", "Downloading", "26.2", "2026-11-21T14:00:00", "3", "Network"), d


def test_a_device_that_enrolled_again_after_its_checkout_is_back_in_scope(t):
    # Found while extending the oracle to CheckOuts: a Mac whose MDM
    # profile was removed on Nov 20 (mdm.CheckOut) and that enrolled again
    # on Nov 21 (mdm.Authenticate, mdm.TokenUpdate) stayed out-of-scope,
    # "unenrolled, nothing heard since", though it was enrolled and past
    # its Nov 22 deadline: an update unenforced and unreported.
    u = "AAAA0000-0000-4000-8000-000000000001"
    hook = t.write("hook.ndjson", "".join([
        _nano("mdm.Authenticate", epoch("2026-11-01T08:00:00Z"), u, _plist("Authenticate", u, "C02REENROL1")),
        _nano("mdm.CheckOut", epoch("2026-11-20T08:00:00Z"), u, _plist("CheckOut", u)),
        _nano("mdm.Authenticate", epoch("2026-11-21T08:00:00Z"), u, _plist("Authenticate", u, "C02REENROL1")),
        _nano("mdm.TokenUpdate", epoch("2026-11-21T08:00:05Z"), u, _plist("TokenUpdate", u))]))
    st = t.write("s.csv", STATUS_HEADER + "C02REENROL1,Downloading,2026-11-10T10:00:00Z,,,,macOS,,26.0,,,,,,"
                 "UTC,,\n")
    tg = t.write("t.csv", LEGACY_TARGETS_HEADER + "macOS,*,,26.1,2026-11-22T09:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-24T12:00:00Z", st, tg, hook)
    d = t.csv("devices")[0]
    assert (d["classification"], d["enforcement"]) == ("past-deadline", "offline-at-deadline"), d
    assert "unenrolled" not in d["notes"], d
    assert [x["serial_number"] for x in t.csv("past-deadline")] == ["C02REENROL1"]
    # between the CheckOut and the new enrolment it was out of scope
    t.ok("report", "--out", t.path("o2"), "--as-of", "2026-11-20T12:00:00Z", "devices")
    d = t.csv("devices", where=t.path("o2"))[0]
    assert d["classification"] == "out-of-scope", d
    assert "unenrolled: the MDM's CheckOut at 2026-11-20T08:00:00Z" in d["notes"], d
