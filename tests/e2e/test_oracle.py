"""A differential oracle: an independent Python reading of the README's
rules ("What it decides", the canonical CSV formats), computed straight
from the raw CSV inputs of a seeded random fleet, compared with the
devices.csv that `ddmreport run` writes for the same inputs.

Scope: classification (every one but the unenrolled case of out-of-scope),
the target that counts (the device's own pending version, serial > group
> platform-wide '*' scopes, the earliest unmet deadline of the winning
scope), deadline_utc / deadline_earliest_utc from a wall-clock deadline
in the device's IANA zone (zoneinfo: DST gaps move forward, overlaps take
the earlier instant; no zone: UTC-12 / UTC+14), the zone's source,
status, status_since, last_seen, the OS version with its extra (`(a)`)
and version comparison (26.1 == 26.1.0 > 26.0.1, 26.1 (a) > 26.1).
Out of scope: legacy enforcement (every generated version is above its
platform's DDM floor), build numbers, declarations, JSON sources.
"""
import datetime as dt
import random
import re
from zoneinfo import ZoneInfo

from lib import INVENTORY_HEADER, STATUS_HEADER

UTC = dt.timezone.utc
HOUR = 3600
DAY = 86400
STUCK_AFTER = DAY        # defaults: --stuck-after 24h
STALE_AFTER = 7 * DAY    # --stale-after 7d
DUE_WITHIN = DAY         # --due-within 24h

BAD_ZONES = ["Mars/Olympus", "EST5EDT6"]
ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo",
         "Australia/Lord_Howe", "America/St_Johns", "Pacific/Chatham",
         "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/London",
         "America/Los_Angeles", "Australia/Adelaide"]
GROUPS = ["Engineering", "Sales", "Ops", "Lab"]
PLATFORMS = {"macOS": ["15.7", "15.7.2", "26.0", "26.0.1", "26.1", "26.1.0", "26.2"],
             "iOS": ["18.7", "26.0", "26.0.1", "26.1", "26.1.0", "26.2"],
             "iPadOS": ["18.7", "26.0.1", "26.1", "26.2"]}
# wall-clock times on DST edges: (zone, wall) in a gap or an overlap
DST_EDGES = [("America/New_York", "2026-03-08T02:30:00"), ("America/New_York", "2026-11-01T01:30:00"),
             ("America/St_Johns", "2026-03-08T02:15:00"), ("America/St_Johns", "2026-11-01T01:45:00"),
             ("Europe/Berlin", "2026-03-29T02:30:00"), ("Europe/Berlin", "2026-10-25T02:30:00"),
             ("Australia/Lord_Howe", "2026-10-04T02:15:00"), ("Australia/Lord_Howe", "2026-04-05T01:45:00"),
             ("Pacific/Chatham", "2026-09-27T02:50:00"), ("Pacific/Chatham", "2026-04-05T02:50:00"),
             ("Australia/Adelaide", "2026-10-04T02:30:00"), ("Australia/Adelaide", "2026-04-05T02:30:00"),
             ("America/Los_Angeles", "2027-03-14T02:00:00"), ("America/Los_Angeles", "2026-11-01T01:00:00"),
             ("Europe/London", "2027-03-28T01:30:00"), ("America/New_York", "2027-03-14T02:59:59")]
TARGET_VERSIONS = ["26.0.1", "26.1", "26.1.0", "26.2", "26.1 (a)", "26.10", "26.9"]
STATUSES = ["Pending", "Downloading", "Downloading", "Downloading", "Cached",
            "Installing", "Pass", "Error", "Error", "Idle", "Incompatible",
            "Excluded", "Unknown"]


# --- the README's rules ----------------------------------------------------

def vkey(v):
    """Versions compare numerically per component (14 == 14.0); an extra
    version `(a)` or `a` comes after its release."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)*)\s*(?:\(?([a-z])\)?)?\s*", v)
    assert m, v
    parts = [int(x) for x in m.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return (parts, m.group(2) or "")


def is_date(v):
    """A component with a leading zero, or of four digits after the first:
    a spreadsheet's date, no version."""
    comps = re.split(r"[.]", v.split(" ")[0])
    return any((len(c) > 1 and c[0] == "0") or (i > 0 and len(c) >= 4) for i, c in enumerate(comps))


def vcmp(a, b):
    ka, kb = vkey(a), vkey(b)
    return (ka > kb) - (ka < kb)


def wall(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S")


def wall_to_utc(s, zone):
    """A wall-clock time in ZONE as a Unix time: in an overlap the earlier
    instant, in a gap moved forward by the gap (PEP 495: fold=0 reads a
    gap time with the offset before the transition)."""
    local = wall(s).replace(tzinfo=ZoneInfo(zone), fold=0)
    return int(local.timestamp())


def iso(t):
    return dt.datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(s):
    return int(dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def with_extra(v, extra):
    return f"{v} {extra}" if extra else v


def oracle(inv, status_rows, targets, as_of, default_tz=None):
    """Per serial: what the README says devices.csv holds."""
    out = {}
    serials = set(inv) | {r["serial"] for r in status_rows if r["at"] <= as_of}
    by_dev = {}
    for r in status_rows:
        if r["at"] <= as_of:
            by_dev.setdefault(r["serial"], []).append(r)
    for s in sorted(serials):
        i = inv.get(s)
        reps = sorted(by_dev.get(s, []), key=lambda r: r["at"])
        last = reps[-1] if reps else None
        platform = (i and i["platform"]) or (last and last["platform"])
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
        # the OS version: the newest reading (a report's, or the
        # inventory's, read at its check-in)
        readings = [(r["at"], with_extra(r["os"], r["extra"])) for r in reps if r["os"]]
        if i and i["os"] and check_in is not None:
            readings.append((check_in, i["os"]))
        elif i and "late" in i and i["late"]["os"] and check_in is not None:
            readings.append((i["late"]["check_in"], i["late"]["os"]))
        os_version = max(readings, key=lambda x: x[0])[1] if readings else None
        # the zone: the latest report's when newer than the check-in and
        # another zone, else the inventory's, else the report's
        rz = last["tz"] if last and last["tz"] not in BAD_ZONES else ""
        iz = i["tz"] if i and i["tz"] not in BAD_ZONES else ""
        if i and not i["tz"] and "late" in i:
            iz = i["late"]["tz"]  # unknown: the late row fills it
        if rz and (not iz or (check_in is not None and last["at"] > check_in and rz != iz)):
            zone, zsrc = rz, "status"
        elif iz:
            zone, zsrc = iz, "inventory"
        elif default_tz:
            zone, zsrc = default_tz, "default"
        else:
            zone, zsrc = None, "none"

        def meets(tv):
            if os_version is None:
                return status == "Pass" and not (last and last["tov"] and vcmp(last["tov"], tv) < 0)
            return not is_date(os_version) and vcmp(os_version, tv) >= 0

        # configured targets: the highest scope with a candidate
        cands = []
        for lvl, pick in ((3, lambda t: t["serial"] == s),
                          (2, lambda t: not t["serial"] and t["group"] != "*"
                           and group and t["group"].lower() == group.lower()
                           and t["platform"] == platform),
                          (1, lambda t: not t["serial"] and t["group"] == "*"
                           and t["platform"] == platform)):
            cands = [t for t in targets if pick(t)]
            if cands:
                break
        best = None
        if cands:
            unmet = [t for t in cands if not meets(t["version"])]
            # the earliest unmet deadline (the latest when all are met);
            # of two due at once, the higher version: the one the device
            # must reach by then
            if unmet:
                first = min(wall(t["deadline"]) for t in unmet)
                best = max((t for t in unmet if wall(t["deadline"]) == first),
                           key=lambda t: vkey(t["version"]))
            else:
                best = max(cands, key=lambda t: (wall(t["deadline"]), vkey(t["version"])))
        # the device's own pending version: only while the device is below
        # it, not below the configured one, not above an unmet one due
        # before it
        own = None
        if last and last["tov"] and last["tld"]:
            own = {"version": last["tov"], "deadline": last["tld"], "scope": "device"}
        target = best
        if own and not meets(own["version"]):
            if best is None or vcmp(own["version"], best["version"]) == 0:
                target = own
            elif vcmp(own["version"], best["version"]) > 0 and (
                    meets(best["version"]) or wall(best["deadline"]) >= wall(own["deadline"])):
                target = own
        elif own and best is None:
            target = own
        row = {"status": status, "status_since": iso(since) if since else "",
               "last_seen": iso(last_seen) if last_seen else "",
               "os_version": os_version or "", "platform": platform or "",
               "target_os_version": "", "deadline_utc": "", "deadline_earliest_utc": "",
               "target_scope": ""}
        if target is not None:
            row["target_os_version"] = target["version"]
            row["target_scope"] = target["scope"]
            if zone:
                d_utc = d_early = wall_to_utc(target["deadline"], zone)
            else:
                w = int(wall(target["deadline"]).replace(tzinfo=UTC).timestamp())
                d_utc, d_early = w + 12 * HOUR, w - 14 * HOUR
            row["deadline_utc"], row["deadline_earliest_utc"] = iso(d_utc), iso(d_early)
            row["time_zone_source"] = zsrc
            row["time_zone"] = zone or ""
            heard = last_seen is not None and last_seen > as_of - STALE_AFTER
            if status in ("Incompatible", "Excluded"):
                cls = "out-of-scope"
            elif meets(target["version"]):
                cls = "compliant"
            elif as_of >= d_utc:
                cls = "past-deadline"
            elif status == "Error":
                cls = "error"
            elif status == "Downloading" and since <= as_of - STUCK_AFTER and heard:
                cls = "stuck-downloading"
            elif not heard:
                cls = "not-reporting"
            elif d_early <= as_of + DUE_WITHIN:
                cls = "due-soon"
            else:
                cls = "in-progress"
        else:
            cls = "out-of-scope" if status in ("Incompatible", "Excluded") else "no-target"
        row["classification"] = cls
        out[s] = row
    return out


# --- a seeded random fleet ---------------------------------------------------

def fleet(seed, n=300, nights=6):
    rnd = random.Random(seed)
    base = epoch("2026-11-18T00:00:00Z") + rnd.randrange(0, 3 * DAY)
    # deadlines near the as-of, some on DST edges (none in Nov: use March
    # and April walls for zones that change then, read long after)
    as_of = base + nights * DAY + rnd.randrange(-2 * DAY, 2 * DAY)
    near = dt.datetime.fromtimestamp(as_of, UTC).replace(tzinfo=None)

    def deadline():
        w = near + dt.timedelta(seconds=rnd.randrange(-3 * DAY, 3 * DAY))
        w = w.replace(minute=rnd.choice([0, 0, 30, 45, w.minute]), second=0)
        return w.strftime("%Y-%m-%dT%H:%M:%S")

    targets = []
    for p in PLATFORMS:
        for _ in range(rnd.choice([0, 1, 1, 2])):
            targets.append({"platform": p, "group": "*", "serial": "",
                            "version": rnd.choice(TARGET_VERSIONS), "deadline": deadline(),
                            "scope": "all"})
        for g in GROUPS:
            for _ in range(rnd.choice([0, 0, 1, 2])):
                targets.append({"platform": p, "group": rnd.choice([g, g.upper(), g.lower()]),
                                "serial": "", "version": rnd.choice(TARGET_VERSIONS),
                                "deadline": deadline(), "scope": "group"})
    inv, rows = {}, []
    for k in range(n):
        s = f"C02OR{k:05d}"
        p = rnd.choice(list(PLATFORMS))
        versions = PLATFORMS[p]
        vi = rnd.randrange(len(versions))
        zone = rnd.choice(ZONES + [""] * 3)
        if rnd.random() < 0.15:
            edges = [w for z, w in DST_EDGES if z == zone]
            targets.append({"platform": "iOS" if p == "iPadOS" and rnd.random() < 0.5 else p,
                            "group": "", "serial": s,
                            "version": rnd.choice(TARGET_VERSIONS),
                            "deadline": rnd.choice(edges) if edges and rnd.random() < 0.5 else deadline(),
                            "scope": "serial"})
        pending = None
        if rnd.random() < 0.15:
            pending = (rnd.choice(TARGET_VERSIONS[:4]), deadline())
        stop = rnd.choice([nights] * 6 + list(range(1, nights)))
        status = rnd.choice(STATUSES)
        for night in range(stop):
            if rnd.random() < 0.2:
                continue
            if rnd.random() < 0.35:
                status = rnd.choice(STATUSES)
            if rnd.random() < 0.15 and vi + 1 < len(versions):
                vi += 1
            at = base + night * DAY + rnd.randrange(0, DAY)
            os_v = versions[vi] if rnd.random() < 0.8 else ""
            if os_v and rnd.random() < 0.03:
                os_v = rnd.choice(["26.01.2026", "26.1.2026", "26.02"])
            extra = "(a)" if os_v and rnd.random() < 0.1 else ""
            tz = zone if rnd.random() < 0.6 else (rnd.choice(ZONES) if rnd.random() < 0.2 else "")
            if rnd.random() < 0.03:
                tz = rnd.choice(BAD_ZONES)
            pend = pending if pending and rnd.random() < 0.8 else None
            rows.append({"serial": s, "status": status, "at": at, "platform": p,
                         "os": os_v, "extra": extra, "tz": tz,
                         "tov": pend[0] if pend else "", "tld": pend[1] if pend else ""})
        if rnd.random() < 0.85:
            ci = None
            if rnd.random() < 0.85:
                ci = base + rnd.randrange(0, nights * DAY + 2 * DAY)
            iv = rnd.choice(versions) if ci is not None and rnd.random() < 0.7 else ""
            if iv and rnd.random() < 0.1:
                iv += " (a)"
            inv[s] = {"group": rnd.choice(GROUPS + [""]), "platform": p,
                      "tz": zone if rnd.random() < 0.8 else rnd.choice(ZONES + [""] + BAD_ZONES),
                      "check_in": ci, "os": iv}
            # an older export's row, fed a night late: it fills only what
            # is unknown, its version dated by its own check-in
            if ci is not None and ci <= as_of and inv[s]["group"] and rnd.random() < 0.3:
                inv[s]["late"] = {"group": rnd.choice(GROUPS), "tz": rnd.choice(ZONES),
                                  "check_in": ci - rnd.randrange(HOUR, 3 * DAY),
                                  "os": rnd.choice(versions + [""])}
    # a second targets file, ingested after the first: it states the
    # targets now of every scope it names (platform + group without case,
    # or the serial whatever its platform); the others keep theirs
    def scope(x):
        return ("serial", x["serial"]) if x["serial"] else (x["platform"], x["group"].lower())
    later = []
    for x in targets:
        if rnd.random() < 0.3:
            for _ in range(rnd.choice([1, 1, 2])):
                later.append(dict(x, version=rnd.choice(TARGET_VERSIONS),
                                  deadline=rnd.choice([x["deadline"], deadline()]),
                                  group=rnd.choice([x["group"], x["group"].upper()])
                                  if x["group"] != "*" else "*"))
    named = {scope(x) for x in later}
    final = [x for x in targets if scope(x) not in named] + later
    # some check-ins after the as-of (an earlier night reproduced); the
    # wall clock is later than every time written
    return inv, rows, (targets, later, final), as_of


SPELLINGS = {"Pass": ["Pass", "PASS", "passed", "Up-to-date", "compliant"],
             "Error": ["Error", "ERROR", "failed"], "Pending": ["Pending", "waiting"],
             "Cached": ["Cached", "prepared"], "Idle": ["Idle", "none"],
             "Downloading": ["Downloading", "DOWNLOADING"]}


def stamp(rnd, t):
    """One instant as the status CSV may write it: Z, an offset, a space
    for the T, fractional seconds."""
    off = rnd.choice([0, 0, 9 * 60, -8 * 60, 330, 825])
    local = dt.datetime.fromtimestamp(t, dt.timezone(dt.timedelta(minutes=off)))
    text = local.strftime("%Y-%m-%d" + rnd.choice(["T", " "]) + "%H:%M:%S")
    if rnd.random() < 0.2:
        text += ".%06d" % rnd.randrange(10 ** 6)
    if off == 0 and rnd.random() < 0.5:
        return text + "Z"
    sign = "+" if off >= 0 else "-"
    return text + "%s%02d:%02d" % (sign, abs(off) // 60, abs(off) % 60)


def write_fleet(t, name, inv, rows, targets, seed=0):
    rnd = random.Random(seed)
    st = [STATUS_HEADER]
    for r in rows:
        extra = r["extra"]
        if extra and rnd.random() < 0.5:
            extra = "a"
        word = rnd.choice(SPELLINGS.get(r["status"], [r["status"]]))
        st.append(",".join([r["serial"], word, stamp(rnd, r["at"]), "", "", "", r["platform"],
                            "", r["os"], "", extra, r["tov"], "", r["tld"], r["tz"], "", ""]) + "\n")
    ih = INVENTORY_HEADER.rstrip("\n").split(",")
    iv = [",".join(ih) + "\n"]
    for s, i in inv.items():
        cells = {"serial_number": s, "group": i["group"], "platform": i["platform"],
                 "time_zone": i["tz"], "last_check_in": iso(i["check_in"]) if i["check_in"] else "",
                 "os_version": i["os"]}
        iv.append(",".join(cells.get(h, "") for h in ih) + "\n")
    tfiles = []
    for k, part in enumerate(targets[:2]):
        tg = ["platform,group,serial_number,target_os_version,target_local_datetime\n"]
        for x in part:
            tg.append(",".join([x["platform"], x["group"], x["serial"], x["version"], x["deadline"]]) + "\n")
        tfiles.append(t.write(f"{name}/targets{k}.csv", "".join(tg)))
    # the status rows in three overlapping exports, fed in any order
    cut1, cut2 = sorted(rnd.randrange(len(st)) for _ in range(2))
    parts = [st[1:cut2 + 1], st[max(1, cut1):]]
    rnd.shuffle(parts)
    sfiles = [t.write(f"{name}/status{k}.csv", STATUS_HEADER + "".join(part))
              for k, part in enumerate(parts)]
    late = [",".join(ih) + "\n"]
    for s, i in inv.items():
        if "late" in i:
            x = i["late"]
            cells = {"serial_number": s, "group": x["group"], "platform": i["platform"],
                     "time_zone": x["tz"], "last_check_in": iso(x["check_in"]), "os_version": x["os"]}
            late.append(",".join(cells.get(h, "") for h in ih) + "\n")
    return sfiles + [t.write(f"{name}/inventory.csv", "".join(iv)),
                     t.write(f"{name}/inventory-late.csv", "".join(late))] + tfiles


FIELDS = ("classification", "status", "status_since", "last_seen", "os_version",
          "target_os_version", "target_scope", "deadline_utc", "deadline_earliest_utc",
          "time_zone")


def compare(t, seed, n=300):
    inv, rows, targets, as_of = fleet(seed, n)
    default_tz = ZONES[seed % len(ZONES)] if seed % 3 == 0 else None
    files = write_fleet(t, f"s{seed}", inv, rows, targets, seed)
    out = t.path(f"out{seed}")
    r = t.run("run", "--db", t.path(f"s{seed}.db"), "--out", out, "--as-of", iso(as_of),
              "--max-rejected", "100%", *(["--default-tz", default_tz] if default_tz else []),
              *files)
    assert r.rc == 0, r
    got = {d["serial_number"]: d for d in t.csv("devices", where=out)}
    want = oracle(inv, rows, targets[2], as_of, default_tz)
    diffs = []
    for s in sorted(set(got) | set(want)):
        if s not in got or s not in want:
            diffs.append((s, "listed by", "tool" if s in got else "oracle"))
            continue
        for f in FIELDS:
            if f == "target_os_version" and got[s][f] and want[s][f] \
                    and vcmp(got[s][f], want[s][f]) == 0:
                continue  # 26.1 and 26.1.0 due at once: the same target
            if f in want[s] and got[s][f] != want[s][f]:
                diffs.append((s, f, "tool", got[s][f], "oracle", want[s][f]))
    return diffs, len(want)


def _check(t, seeds):
    for seed in seeds:
        diffs, _ = compare(t, seed)
        assert not diffs, f"seed {seed}: {len(diffs)} differences, first: {diffs[:5]}"


def test_oracle_random_fleets_agree(t):
    _check(t, [1, 2, 3, 17])


def test_two_targets_due_at_once_the_higher_version_counts(t):
    # Found by the oracle: of two staged targets of one scope due at the
    # same time, the tool took the higher *text* ('26.9' > '26.10'), so a
    # Mac below both showed target 26.9, and one reporting pending 26.9
    # with its own earlier deadline was past that deadline, though
    # installing 26.9 leaves it short of 26.10, whose deadline stands.
    st = t.write("s.csv", STATUS_HEADER +
                 "C02TIE000001,Downloading,2026-11-25T10:00:00Z,,,,macOS,,26.0,,,,,,UTC,,\n"
                 "C02TIE000002,Downloading,2026-11-25T10:00:00Z,,,,macOS,,26.0,,,26.9,,"
                 "2026-11-24T12:00:00,UTC,,\n")
    tg = t.write("t.csv", "platform,group,target_os_version,target_local_datetime\n"
                 "macOS,*,26.9,2026-11-28T12:00:00\nmacOS,*,26.10,2026-11-28T12:00:00\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-25T12:00:00Z", st, tg)
    got = {d["serial_number"]: d for d in t.csv("devices")}
    assert got["C02TIE000001"]["target_os_version"] == "26.10", got["C02TIE000001"]
    assert got["C02TIE000002"]["target_os_version"] == "26.10", got["C02TIE000002"]
    assert got["C02TIE000002"]["classification"] == "in-progress", got["C02TIE000002"]
    assert got["C02TIE000002"]["deadline_utc"] == "2026-11-28T12:00:00Z", got["C02TIE000002"]


def test_a_late_inventory_fills_an_unknown_version_dated_by_its_own_reading(t):
    # Found by the oracle: an inventory whose newer export had no OS
    # version, then an export a night behind with one: the README says the
    # older row fills what is unknown, its version counting by when it
    # was read; the tool dropped it (a Mac on 26.1 was below its 26.1
    # target, with no version).
    inv = t.write("inv.csv", INVENTORY_HEADER +
                  "C02LATE00001,,,Lab,macOS,,UTC,2026-11-22T08:00:00Z,\n"
                  "C02LATE00002,,,Lab,macOS,,UTC,2026-11-22T08:00:00Z,\n")
    late = t.write("late.csv", INVENTORY_HEADER +
                   "C02LATE00001,,,Lab,macOS,,UTC,2026-11-20T08:00:00Z,26.1\n"
                   "C02LATE00002,,,Lab,macOS,,UTC,2026-11-20T08:00:00Z,26.0\n")
    # a report after that reading, before the newer check-in: it is newer
    st = t.write("s.csv", STATUS_HEADER +
                 "C02LATE00002,Pass,2026-11-21T08:00:00Z,,,,macOS,,26.1,,,,,,UTC,,\n")
    tg = t.write("t.csv", "platform,group,target_os_version,target_local_datetime\n"
                 "macOS,*,26.1,2026-11-24T12:00:00\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-25T12:00:00Z", inv, late, st, tg)
    got = {d["serial_number"]: d for d in t.csv("devices")}
    assert got["C02LATE00001"]["os_version"] == "26.1", got["C02LATE00001"]
    assert got["C02LATE00001"]["classification"] == "compliant", got["C02LATE00001"]
    assert got["C02LATE00002"]["os_version"] == "26.1", got["C02LATE00002"]
    assert got["C02LATE00002"]["classification"] == "compliant", got["C02LATE00002"]
