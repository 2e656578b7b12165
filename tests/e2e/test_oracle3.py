"""A third differential oracle, on the DDM sources test_oracle2.py leaves
out, computed from raw inputs of seeded random fleets and compared with
devices.csv of `ddmreport run` (the rules: test_oracle2.legacy_oracle).

Jamf Pro DDM status items: each night Jamf is polled
(`GET /api/v1/ddm/{clientManagementId}/status-items`) and every device's
response saved, values as Jamf writes them (strings; dictionaries as
Java map strings), a `lastUpdateTime` per item (when its value last
changed: `Z`, fractional seconds, or no zone read as UTC).  Each
response is the server's whole set (a full report) at its newest
`lastUpdateTime`.  A device is named by its serial-number item, else by
its management id (a `clientManagementId` key, or the file's name
`<clientManagementId>.json`) through the inventory's `management_id`,
the two written in different cases.

Enforcement declarations: the responses list declarations
(`management.declarations.configurations`, `active` true or false, and
`softwareupdate.install-reason.declaration-id`); targets are a targets
CSV (platform, group and serial scopes, some rows scoped to a
declaration with `declaration_id`) and declaration JSON files.  An active
declaration competes with the winning scope's targets, whatever their
scope (README, *Targets*).

KMFDDM and user channels: devices reporting through KMFDDM's status
values (per report, or polled from its MySQL storage with every value a
path ever had) and its storage folder walked nightly (status.last.json
by mtime and folder, declarations beside them, KMFDDM's own files), with
user-channel reports (`<device id>:<user id>`: status values, storage
folders, envelopes, captures) that must never change a device.
"""
import json
import random

from test_oracle import DAY, HOUR, iso, vcmp  # noqa: F401
from test_oracle2 import (DDM_FIELDS, DDM_PLATFORMS, GROUPS, INSTALL_STATES, ZONES, _td, dt_naive, merge,
                          epoch, legacy_oracle, run_and_compare)

JAMF_INV_HEADER = "serial_number,group,platform,time_zone,last_check_in,os_version,management_id\n"
TARGETS_HEADER = ("platform,group,serial_number,target_os_version,target_local_datetime,"
                  "declaration_id\n")
ENFORCEMENT = "com.apple.configuration.softwareupdate.enforcement.specific"
REASONS = ["Not enough space", "Download failed, retrying later", "Network", "Install failed (x=1)"]


def _deadline(rnd, near):
    w = near + _td(rnd.randrange(-2 * DAY, 2 * DAY))
    return w.replace(minute=rnd.choice([0, 30, w.minute]), second=0).strftime("%Y-%m-%dT%H:%M:%S")


def _stamp(rnd, t):
    """A lastUpdateTime as Jamf writes it (or as a collector saved it)."""
    d = dt_naive(t)
    k = rnd.random()
    if k < 0.5:
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    if k < 0.75:
        return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % rnd.randrange(1000)
    return d.strftime("%Y-%m-%dT%H:%M:%S")


def declaration_targets(rnd, near, ids):
    """Declarations served (as JSON files, platform-free) and targets CSV
    rows scoped to a declaration (with a platform and a group)."""
    files, rows = [], []
    for k, did in enumerate(ids):
        platform = rnd.choice(list(DDM_PLATFORMS))
        v = rnd.choice(DDM_PLATFORMS[platform][1])
        if k % 2 == 0:
            files.append({"id": did, "version": v, "deadline": _deadline(rnd, near), "platform": "",
                          "group": "*", "serial": ""})
            if rnd.random() < 0.5:
                # a new version of the declaration (same Identifier), served
                # later: it takes the old one's deadline away
                files.append(dict(files[-1], version=rnd.choice(DDM_PLATFORMS[platform][1]),
                                  deadline=_deadline(rnd, near)))
        else:
            rows.append({"id": did, "version": v, "deadline": _deadline(rnd, near), "platform": platform,
                         "group": rnd.choice(["*"] + GROUPS), "serial": ""})
            for _ in range(rnd.choice([0, 2])):
                # scoped to one device too
                rows.append(dict(rows[-1], group="", serial=f"C02JI{rnd.randrange(150):05d}",
                                 version=rnd.choice(DDM_PLATFORMS[platform][1]),
                                 deadline=_deadline(rnd, near)))
    return files, rows


def _fleet_start(rnd, nights):
    """A DDM fleet's first night, its as-of (its wall clock too) and its
    platform-wide and group targets due around then."""
    base = epoch("2026-11-18T00:00:00Z") + rnd.randrange(0, 3 * DAY)
    as_of = base + nights * DAY + rnd.randrange(-DAY, DAY)
    near = dt_naive(as_of)
    targets = []
    for p, (_, tvs) in DDM_PLATFORMS.items():
        for _ in range(rnd.choice([0, 1, 2])):
            targets.append({"platform": p, "group": "*", "serial": "", "version": rnd.choice(tvs),
                            "deadline": _deadline(rnd, near), "etz": ""})
        for g in GROUPS:
            if rnd.random() < 0.4:
                targets.append({"platform": p, "group": g, "serial": "", "version": rnd.choice(tvs),
                                "deadline": _deadline(rnd, near), "etz": ""})
    return base, as_of, near, targets


def jamf_fleet(seed, n=150, nights=5, with_decls=False):
    rnd = random.Random(seed)
    base, as_of, near, targets = _fleet_start(rnd, nights)
    ids = [f"com.example.sw-update.{seed}-{k}" for k in range(6)] if with_decls else []
    dfiles, drows = declaration_targets(rnd, near, ids)
    inv, devices = {}, []
    for k in range(n):
        s = f"C02JI{k:05d}"
        mid = "%08x-%04x-4%03x-8000-%012x" % (seed, k, k, rnd.getrandbits(40))
        p = rnd.choice(list(DDM_PLATFORMS))
        versions, tvs = DDM_PLATFORMS[p]
        if rnd.random() < 0.1:
            targets.append({"platform": p, "group": "", "serial": s, "version": rnd.choice(tvs),
                            "deadline": _deadline(rnd, near), "etz": ""})
        in_inv = rnd.random() < 0.85
        if in_inv:
            ci = base + rnd.randrange(0, nights * DAY + DAY) if rnd.random() < 0.6 else None
            inv[s] = {"group": rnd.choice(GROUPS + [""]), "platform": p, "tz": rnd.choice(ZONES + [""]),
                      "check_in": ci, "mid": mid.upper() if rnd.random() < 0.5 else mid,
                      "os": rnd.choice(versions) if ci is not None and rnd.random() < 0.5 else ""}
        # the server's items: key -> (value as Jamf writes it, its time)
        items, vi = {}, rnd.randrange(len(versions))
        state, polls = {}, []
        t = base + rnd.randrange(0, DAY // 2)
        last = base + rnd.choice([nights * DAY] * 4 + [j * DAY for j in range(1, nights)])
        while t < min(last, as_of + DAY):
            if not items or rnd.random() < 0.15:
                if items and vi + 1 < len(versions):
                    vi += 1
                items["device.operating-system.version"] = (versions[vi], t)
                if rnd.random() < 0.6:
                    items["device.operating-system.family"] = (p, t)
                items["device.identifier.serial-number"] = (s.lower() if rnd.random() < 0.3 else s, t)
            if "softwareupdate.install-state" not in items or rnd.random() < 0.5:
                items["softwareupdate.install-state"] = (rnd.choice(list(INSTALL_STATES)), t)
            if rnd.random() < 0.25:
                if rnd.random() < 0.75:
                    pv = "{os-version=%s, %starget-local-date-time=%s}" % (
                        rnd.choice(tvs), "build-version=25B%d, " % rnd.randrange(70, 90)
                        if rnd.random() < 0.4 else "", _deadline(rnd, near))
                else:
                    pv = "{}"
                items["softwareupdate.pending-version"] = (pv, t)
            if rnd.random() < 0.15:
                items["softwareupdate.failure-reason"] = (
                    "{count=%d, reason=%s, timestamp=%s}" % (rnd.randrange(1, 5), rnd.choice(REASONS),
                                                            iso(t)), t)
            if ids and rnd.random() < 0.4:
                conf = []
                for did in rnd.sample(ids, rnd.randrange(0, 4)):
                    conf.append("{active=%s, identifier=%s, valid=valid, server-token=%x}"
                                % (rnd.choice(["true", "true", "false"]), did, rnd.getrandbits(32)))
                conf.append("{active=true, identifier=com.example.passcode, valid=valid, "
                            "server-token=1}")
                rnd.shuffle(conf)
                items["management.declarations.configurations"] = ("[" + ", ".join(conf) + "]", t)
                if rnd.random() < 0.3:
                    items["softwareupdate.install-reason"] = (
                        "{reason=[declaration], declaration-id=%s}" % rnd.choice(ids), t)
                elif "softwareupdate.install-reason" in items:
                    del items["softwareupdate.install-reason"]
            elif rnd.random() < 0.1:
                # the device's full report listed no declarations (nothing
                # active): its other items were updated then too
                items.pop("management.declarations.configurations", None)
                items.pop("softwareupdate.install-reason", None)
                items["softwareupdate.install-state"] = (items["softwareupdate.install-state"][0], t)
            polled = max(x[1] for x in items.values())
            # the serial item: left out of some responses of a device the
            # inventory names by its management id
            show = {key: v for key, v in items.items()
                    if key != "device.identifier.serial-number" or not in_inv or rnd.random() < 0.4}
            polls.append({"at": polled, "items": show, "mid": mid})
            t += rnd.randrange(HOUR, 2 * DAY)
        devices.append({"serial": s, "platform": p, "mid": mid, "polls": polls})
    return inv, devices, targets, dfiles, drows, as_of, base


def _javamap(s):
    """The fields of a flat Java map string ("{a=1, b=x, y}"): the oracle's
    own reading, values kept to the next ", key=" ."""
    body = s.strip()[1:-1]
    out, key = {}, None
    for part in body.split(", "):
        if "=" in part and part.split("=", 1)[0].replace("-", "").isalnum():
            key, val = part.split("=", 1)
            out[key] = val
        elif key is not None:
            out[key] += ", " + part
    return out


def _active(conf):
    """The identifiers a configurations list string names as active."""
    got = []
    for el in conf.strip()[1:-1].split("}, {"):
        m = _javamap("{" + el.strip("{}") + "}")
        if m.get("active") == "true" and m.get("identifier"):
            got.append(m["identifier"])
    return got


def jamf_observations(dev):
    """The device's observations: each response a full report at its
    newest lastUpdateTime (one a second: a response polled again with
    nothing changed is the same report)."""
    obs, seen = [], set()
    for poll in sorted(dev["polls"], key=lambda x: x["at"]):
        if poll["at"] in seen:
            continue
        seen.add(poll["at"])
        it = {k: v for k, (v, _) in poll["items"].items()}
        pv = _javamap(it.get("softwareupdate.pending-version", "{}"))
        fr = _javamap(it.get("softwareupdate.failure-reason", "{}")) \
            if "softwareupdate.failure-reason" in it else {}
        act = set(_active(it.get("management.declarations.configurations", "[]")))
        ir = _javamap(it.get("softwareupdate.install-reason", "{}"))
        if ir.get("declaration-id"):
            act.add(ir["declaration-id"])
        tov = pv.get("os-version", "")
        obs.append({"serial": dev["serial"], "at": poll["at"],
                    "status": INSTALL_STATES[it["softwareupdate.install-state"]],
                    "platform": it.get("device.operating-system.family", ""),
                    "os": it.get("device.operating-system.version", ""), "tz": "",
                    "tov": tov, "tld": pv.get("target-local-date-time", "") if tov else "",
                    "fc": fr.get("count", ""), "fr": fr.get("reason", ""), "active": act})
    return obs


def write_jamf(t, name, inv, devices, targets, dfiles, drows, seed):
    rnd = random.Random(seed * 7 + 1)
    nights = {}
    files = []
    for dev in devices:
        for j, poll in enumerate(dev["polls"]):
            doc = {"statusItems": [{"key": key, "value": v, "lastUpdateTime": _stamp(rnd, at)}
                                   for key, (v, at) in poll["items"].items()]}
            rnd.shuffle(doc["statusItems"])
            mid = poll["mid"].upper() if rnd.random() < 0.5 else poll["mid"]
            if rnd.random() < 0.1:
                # saved alone, named by the management id
                files.append(t.write(f"{name}/single{j}/{mid}.json", json.dumps(doc, indent=2)))
                continue
            doc = {"clientManagementId": mid, **doc}
            nights.setdefault(j % 3, []).append(doc)
    for k, docs in nights.items():
        rnd.shuffle(docs)
        body = json.dumps(docs) if k == 0 else "".join(json.dumps(d) + "\n" for d in docs)
        files.append(t.write(f"{name}/jamf-{k}.json", body))
    iv = [JAMF_INV_HEADER] + [",".join([s, i["group"], i["platform"], i["tz"],
                                        iso(i["check_in"]) if i["check_in"] is not None else "",
                                        i["os"], i["mid"]]) + "\n" for s, i in inv.items()]
    tg = [TARGETS_HEADER] + [",".join([x["platform"], x["group"], x["serial"], x["version"],
                                       x["deadline"], ""]) + "\n" for x in targets]
    tg += [",".join([x["platform"], x["group"], x["serial"], x["version"], x["deadline"], x["id"]]) + "\n"
           for x in drows]
    for k, d in enumerate(dfiles):
        files.append(t.write(f"{name}/decl{k}.json", json.dumps({
            "Type": ENFORCEMENT, "Identifier": d["id"], "ServerToken": "t%d" % k,
            "Payload": {"TargetOSVersion": d["version"], "TargetLocalDateTime": d["deadline"],
                        "DetailsURL": "https://example.com/%d" % k}})))
    return [t.write(f"{name}/inventory.csv", "".join(iv)), t.write(f"{name}/targets.csv", "".join(tg))] \
        + files


def applicable(serial, active, platform, group, dfiles, drows):
    """The declaration targets a device's active declarations bring."""
    out = []
    newest = {d["id"]: d for d in dfiles}
    for d in list(newest.values()) + drows:
        if d["id"] not in active:
            continue
        if d["platform"] and d["platform"] != platform:
            continue
        if d["serial"] and d["serial"] != serial:
            continue
        if not d["serial"] and d["group"] != "*" and (not group or d["group"].lower() != group.lower()):
            continue
        out.append({"platform": d["platform"], "group": d["group"], "serial": "", "version": d["version"],
                    "deadline": d["deadline"], "etz": "", "decl": d["id"]})
    return out


def jamf_compare(t, seed, with_decls):
    inv, devices, targets, dfiles, drows, as_of, _ = jamf_fleet(seed, with_decls=with_decls)
    files = write_jamf(t, f"ji{seed}", inv, devices, targets, dfiles, drows, seed)
    rows, decls = [], {}
    for dev in devices:
        obs = [o for o in jamf_observations(dev) if o["at"] <= as_of]
        rows += obs
        if obs:
            i = inv.get(dev["serial"])
            platform = (i and i["platform"]) or obs[-1]["platform"]
            decls[dev["serial"]] = applicable(dev["serial"], obs[-1]["active"], platform, i["group"] if i else "",
                                              dfiles, drows)
    want = legacy_oracle(inv, rows, targets, as_of, decls=decls)
    diffs, got = run_and_compare(t, f"ji{seed}", files, want, as_of, DDM_FIELDS)
    return diffs, got, decls


def test_oracle3_jamf_status_items_agree(t):
    for seed in (4, 9):
        diffs, got, _ = jamf_compare(t, seed, False)
        assert not diffs, f"seed {seed}: {len(diffs)} differences, first: {diffs[:6]}"
        cls = {d["classification"] for d in got.values()}
        assert {"past-deadline", "error", "compliant", "in-progress"} <= cls, cls


def test_oracle3_enforcement_declarations_agree(t):
    for seed in (6, 13):
        diffs, got, decls = jamf_compare(t, seed, True)
        assert not diffs, f"seed {seed}: {len(diffs)} differences, first: {diffs[:6]}"
        won = sum(1 for s, d in got.items() if any(
            x["version"] == d["target_os_version"] for x in decls.get(s, [])))
        assert won >= 10, won


# --- 3. KMFDDM: status values, the storage folder, user channels ---------

def _decl_items(rnd, ids):
    """A raw report's management.declarations (JSON, as the device sends
    it) naming some of IDS active or not."""
    conf = [{"identifier": did, "active": rnd.random() < 0.7, "valid": "valid",
             "server-token": "%x" % rnd.getrandbits(32)} for did in rnd.sample(ids, rnd.randrange(0, 3))]
    conf.append({"identifier": "com.example.passcode", "active": True, "valid": "valid",
                 "server-token": "1"})
    rnd.shuffle(conf)
    return {"activations": [], "assets": [], "management": [], "configurations": conf}


def kmf_fleet(seed, n=120, nights=5):
    """Devices report through KMFDDM: half in KMFDDM's status values
    (the API's JSON, values as strings, a `timestamp` per value or, the
    file backend, none: each report a file, its time the file's mtime;
    or polled nightly from its MySQL storage, every value a path ever had
    listed first seen first, stamped when last seen;
    a device's reports in one of the two, else the file that names it
    comes after its reports and is read again last, after newer reports
    of other devices: see README), the others in its storage
    folder walked each night (`<enrollment-id>/status.last.json`, its time
    the file's mtime; the enforcement declarations served,
    `declaration.<id>.json`, beside them).  Some devices' users report
    too, under `<enrollment-id>:<user-id>`: Mac serial, another OS
    version, full reports with no softwareupdate item."""
    rnd = random.Random(seed)
    base, as_of, near, targets = _fleet_start(rnd, nights)
    ids = [f"com.example.kmf.{seed}-{k}" for k in range(4)]
    decl = {did: {"id": did, "version": rnd.choice(DDM_PLATFORMS["macOS"][1] + ["26.1", "26.2"]),
                  "deadline": _deadline(rnd, near), "platform": "", "group": "*", "serial": ""}
            for did in ids}
    inv, devices = {}, []
    for k in range(n):
        s = f"C02KM{k:05d}"
        eid = "%08X-%04X-4000-8000-%012X" % (seed, k, rnd.getrandbits(40))
        p = rnd.choice(list(DDM_PLATFORMS))
        versions, tvs = DDM_PLATFORMS[p]
        vi = rnd.randrange(len(versions))
        mode = rnd.choice(["values", "accum", "mtime", "storage", "storage", "storage"])
        if rnd.random() < 0.8:
            ci = base + rnd.randrange(0, nights * DAY + DAY) if rnd.random() < 0.6 else None
            inv[s] = {"group": rnd.choice(GROUPS + [""]), "platform": p, "tz": rnd.choice(ZONES + [""]),
                      "check_in": ci, "mid": "",
                      "os": rnd.choice(versions) if ci is not None and rnd.random() < 0.5 else ""}
        state, pending, reports = rnd.choice(list(INSTALL_STATES)), None, []
        at = base + rnd.randrange(0, DAY // 2)
        stop = base + rnd.choice([nights * DAY] * 4 + [j * DAY for j in range(1, nights)])
        while at < min(stop, as_of + DAY):
            first = not reports
            # KMFDDM's status values say nothing of FullReport: each
            # enrollment's values are one incremental report
            full = (first or rnd.random() < 0.3) and mode == "storage"
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
                    pending = (rnd.choice(tvs), _deadline(rnd, near)) if rnd.random() < 0.7 else ("", "")
                items["softwareupdate"]["pending-version"] = {"os-version": pending[0],
                                                              "target-local-date-time": pending[1]}
            if rnd.random() < 0.15:
                items["softwareupdate"]["failure-reason"] = {
                    "count": rnd.randrange(1, 5), "reason": rnd.choice(REASONS), "timestamp": iso(at)}
            if rnd.random() < 0.15:
                items["softwareupdate"]["install-reason"] = {"reason": ["declaration"],
                                                             "declaration-id": rnd.choice(ids)}
            if mode == "storage" and ((full and rnd.random() < 0.7) or rnd.random() < 0.2):
                # KMFDDM's status values never carry them (it reads them
                # into its declaration statuses)
                items["management"] = {"declarations": _decl_items(rnd, ids)}
            items = {k2: v for k2, v in items.items() if v}
            if items or mode == "storage":
                # (KMFDDM keeps no values of a report that has none)
                reports.append({"serial": s, "eid": eid, "at": at, "full": full, "items": items})
            at += rnd.randrange(HOUR, 2 * DAY)
        if mode == "accum":
            # KMFDDM's MySQL storage polled each night: every value each
            # path has had, first seen first, stamped when last seen; the
            # poll reads as the device's merged state then
            fed = []
            for night in range(nights + 1):
                walk = base + night * DAY + 22 * HOUR
                by = [r for r in reports if r["at"] <= walk]
                if by and (not fed or fed[-1]["at"] != by[-1]["at"]):
                    fed.append({"serial": s, "eid": eid, "at": by[-1]["at"], "full": False,
                                "items": _merged(by), "night": night, "seen": by})
            reports = fed
        if mode == "storage":
            # each night's walk sees the device's last report by then
            fed, seen = [], set()
            for night in range(nights + 1):
                walk = base + night * DAY + 22 * HOUR
                by = [r for r in reports if r["at"] <= walk]
                if by and id(by[-1]) not in seen:
                    seen.add(id(by[-1]))
                    fed.append(dict(by[-1], night=night))
            reports = fed
        if reports:
            reports[0]["items"].setdefault("device", {})["identifier"] = {"serial-number": s}
        users = []
        if rnd.random() < 0.3:
            for _ in range(rnd.randrange(1, 4)):
                users.append({"eid": f"{eid}:{rnd.randrange(501, 510)}:".rstrip(":"),
                              "at": base + rnd.randrange(0, nights * DAY), "full": True,
                              "items": {"device": {"identifier": {"serial-number": s.lower()},
                                                   "operating-system": {"version": rnd.choice(versions),
                                                                        "family": p}}}})
        devices.append({"serial": s, "eid": eid, "mode": mode, "platform": p, "reports": reports,
                        "users": users})
    return inv, devices, targets, list(decl.values()), as_of, base


def _merged(reports):
    """Incremental reports merged leaf by leaf (later wins)."""
    out = {}

    def put(d, src):
        for k, v in src.items():
            if isinstance(v, dict):
                put(d.setdefault(k, {}), v)
            else:
                d[k] = v
    for r in reports:
        put(out, r["items"])
    return out


def _accumulated(reports):
    """KMFDDM's status values of a device's reports: one per (path,
    value) ever seen, first seen first, `timestamp` the last time."""
    rows = {}
    for r in reports:
        for v in _values(r["items"], r["at"]):
            key = (v["path"], v["value"])
            if key in rows:
                rows[key]["timestamp"] = v["timestamp"]
            else:
                rows[key] = dict(v, first=r["at"])
    out = sorted(rows.values(), key=lambda v: v["first"])
    for v in out:
        del v["first"]
    return out


def _values(items, at):
    """KMFDDM's status values of a report: one per leaf, as strings."""
    out = []

    def walk(prefix, v):
        if isinstance(v, dict):
            for key, sub in v.items():
                walk(f"{prefix}.{key}", sub)
        elif isinstance(v, list):
            for sub in v:
                walk(prefix, sub)
        else:
            val = "true" if v is True else "false" if v is False else str(v)
            out.append({"path": prefix, "value": val} if at is None else
                       {"path": prefix, "value": val, "timestamp": iso(at), "status_id": "%x" % at})
    walk(".StatusItems", items)
    return out


def write_kmf(t, name, inv, devices, targets, decls, seed):
    import os
    rnd = random.Random(seed * 5 + 3)
    lines, files = [], []
    env = []
    for dev in devices:
        for rep in dev["reports"] + [dict(u, mode="user") for u in dev["users"]]:
            way = rnd.choice(["values", "envelope", "capture"]) if rep.get("mode") == "user" else ""
            doc = {"StatusItems": rep["items"], "Errors": [], "FullReport": rep["full"]}
            if way == "envelope":
                env.append((rep["at"], json.dumps({"received_at": iso(rep["at"]), "enrollment_id": rep["eid"],
                                                   "report": doc}) + "\n"))
            elif way == "capture":
                t.write(f"{name}/captures/{rep['eid']}.{dt_naive(rep['at']).strftime('%Y%m%d-%H%M%S')}"
                        ".000000.status.json", json.dumps(doc))
            elif dev["mode"] == "accum" and not way:
                continue
            elif dev["mode"] != "storage" or way == "values":
                if dev["mode"] == "mtime":
                    # the file backend: no timestamp, the file's mtime
                    p = t.write(f"{name}/values-mtime/{len(files)}.json",
                                json.dumps({rep["eid"]: _values(rep["items"], None)}))
                    os.utime(p, (rep["at"], rep["at"]))
                    files.append((rep["at"], p))
                else:
                    lines.append((rep["at"], json.dumps({rep["eid"]: _values(rep["items"], rep["at"])})
                                  + "\n"))
    polls = {}
    for dev in devices:
        if dev["mode"] == "accum":
            for rep in dev["reports"]:
                polls.setdefault(rep["night"], {})[rep["eid"]] = _accumulated(rep["seen"])
    out = []
    iv = [JAMF_INV_HEADER] + [",".join([s, i["group"], i["platform"], i["tz"],
                                        iso(i["check_in"]) if i["check_in"] is not None else "",
                                        i["os"], ""]) + "\n" for s, i in inv.items()]
    tg = [TARGETS_HEADER] + [",".join([x["platform"], x["group"], x["serial"], x["version"],
                                       x["deadline"], ""]) + "\n" for x in targets]
    out += [t.write(f"{name}/inventory.csv", "".join(iv)), t.write(f"{name}/targets.csv", "".join(tg))]
    out.append(t.write(f"{name}/status-values.ndjson", "".join(x for _, x in sorted(lines))))
    out += [p for _, p in sorted(files)]
    for night in sorted(polls):
        out.append(t.write(f"{name}/status-values-night{night}.json", json.dumps(polls[night], indent=1)))
    if env:
        out.append(t.write(f"{name}/user-envelopes.ndjson", "".join(x for _, x in sorted(env))))
    if os.path.isdir(t.path(f"{name}/captures")):
        out.append(t.path(f"{name}/captures"))
    nights = sorted({r["night"] for d in devices if d["mode"] == "storage" for r in d["reports"]})
    for night in nights:
        root = f"{name}/storage{night}"
        for d in decls:
            t.write(f"{root}/declaration.{d['id']}.json", json.dumps({
                "Type": ENFORCEMENT, "Identifier": d["id"], "ServerToken": "x",
                "Payload": {"TargetOSVersion": d["version"], "TargetLocalDateTime": d["deadline"]}}))
        for dev in devices:
            reps = [r for r in dev["reports"] if dev["mode"] == "storage" and r["night"] <= night]
            walk = [(reps[-1]["eid"], reps[-1])] if reps else []
            walk += [(u["eid"], u) for u in dev["users"] if u["at"] <= reps[-1]["at"]] if reps else []
            for eid, rep in walk:
                p = t.write(f"{root}/{eid}/status.last.json", json.dumps(
                    {"StatusItems": rep["items"], "Errors": [], "FullReport": rep["full"]}, indent=2))
                os.utime(p, (rep["at"], rep["at"]))
                if ord(eid[-1]) % 3 == 0:
                    # KMFDDM's own files beside it: skipped
                    t.write(f"{root}/{eid}/tokens.json", json.dumps(
                        {"SyncTokens": {"DeclarationsToken": "5d41", "Timestamp": iso(rep["at"])}}))
                    t.write(f"{root}/{eid}/status.values.csv",
                            ".StatusItems.device.identifier.serial-number,object,string,%s\n" % dev["serial"])
        out.append(t.path(root))
    return out


def kmf_observations(reports):
    """oracle2's merge, plus the active declarations: the configurations
    a report lists (replaced whole when it carries management.declarations)
    and the install reason's declaration-id, both dropped by a full report
    that does not carry them."""
    obs = merge(reports)
    conf, ir = set(), ""
    for rep, o in zip(reports, obs):
        items = rep["items"]
        if rep["full"]:
            conf, ir = set(), ""
        if "management" in items:
            conf = {c["identifier"] for c in items["management"]["declarations"]["configurations"]
                    if c["active"]}
        if "install-reason" in items.get("softwareupdate", {}):
            ir = items["softwareupdate"]["install-reason"].get("declaration-id", "")
        o["active"] = conf | ({ir} if ir else set())
    return obs


def kmf_compare(t, seed):
    inv, devices, targets, decls, as_of, _ = kmf_fleet(seed)
    files = write_kmf(t, f"km{seed}", inv, devices, targets, decls, seed)
    rows, active = [], {}
    for dev in devices:
        obs = [o for o in kmf_observations(dev["reports"]) if o["at"] <= as_of]
        rows += obs
        if obs:
            i = inv.get(dev["serial"])
            platform = (i and i["platform"]) or obs[-1]["platform"]
            active[dev["serial"]] = applicable(dev["serial"], obs[-1]["active"], platform,
                                               i["group"] if i else "", decls, [])
    want = legacy_oracle(inv, rows, targets, as_of, decls=active)
    diffs, got = run_and_compare(t, f"km{seed}", files, want, as_of, DDM_FIELDS)
    return diffs, got, active


def test_oracle3_kmfddm_and_user_channels_agree(t):
    for seed in (2, 17):
        diffs, got, active = kmf_compare(t, seed)
        assert not diffs, f"seed {seed}: {len(diffs)} differences, first: {diffs[:6]}"
        won = sum(1 for s, d in got.items() if any(
            x["version"] == d["target_os_version"] for x in active.get(s, [])))
        assert won >= 5, won


def test_same_bytes_in_another_status_last_json_or_at_another_mtime_is_another_report(t):
    # Found by the oracle: a file was known by its bytes alone (a capture
    # also by the time in its name), but a KMFDDM status.last.json takes
    # its time from its mtime and its device from its folder.  A Mac that
    # reported "failed" and then, the next night, "downloading" again
    # wrote the same bytes as its first night's report: the third night's
    # walk skipped it as a file fed again, and the Mac stayed in Error
    # since the failure.  And two devices that sent the same incremental
    # report (nothing in it names them) were one file: the second one's
    # report was never read.
    import os
    down = json.dumps({"StatusItems": {"softwareupdate": {"install-state": "downloading"}},
                       "Errors": [], "FullReport": False})
    failed = json.dumps({"StatusItems": {"softwareupdate": {"install-state": "failed"}},
                         "Errors": [], "FullReport": False})
    a, b = "0A0A0A0A-0000-4000-8000-00000000000A", "0B0B0B0B-0000-4000-8000-00000000000B"
    walks = []
    for night, (ra, rb) in enumerate([(None, None), (down, down), (failed, None), (down, None)]):
        for eid, body, s in ((a, ra, "C02SAMEA0001"), (b, rb, "C02SAMEB0001")):
            if body is None:
                body = json.dumps({"StatusItems": {"device": {
                    "identifier": {"serial-number": s},
                    "operating-system": {"version": "26.0", "family": "macOS"}},
                    "softwareupdate": {"install-state": "none"}}, "Errors": [], "FullReport": True})
                if night:
                    continue
            p = t.write(f"walk{night}/{eid}/status.last.json", body)
            at = epoch("2026-11-20T10:00:00Z") + night * DAY + (60 if eid == b else 0)
            os.utime(p, (at, at))
        walks.append(t.path(f"walk{night}"))
    tg = t.write("t.csv", TARGETS_HEADER + "macOS,*,,26.1,2026-11-30T12:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-24T12:00:00Z", "--default-tz", "UTC", tg, *walks)
    got = {d["serial_number"]: d for d in t.csv("devices")}
    assert (got["C02SAMEA0001"]["status"], got["C02SAMEA0001"]["status_since"]) == \
        ("Downloading", "2026-11-23T10:00:00Z"), got["C02SAMEA0001"]
    assert (got["C02SAMEB0001"]["status"], got["C02SAMEB0001"]["status_since"]) == \
        ("Downloading", "2026-11-21T10:01:00Z"), got["C02SAMEB0001"]
    # the same walk fed again is still a file fed again
    r = t.run("ingest", "--db", t.db, walks[3])
    assert r.rc == 0 and "nothing new" in (r.out + r.err).lower(), r


def test_active_declarations_are_the_merged_status_s_and_status_values_bring_only_the_install_reason(t):
    # What the README now says of "lists as active": a Mac's full report
    # lists declaration A active; its next, incremental report does not
    # carry management.declarations, and A still applies (26.1 due Nov 22,
    # before its group's 26.2: past its deadline).  A second Mac's full
    # report without the item drops A, keeping the declaration its own
    # install reason names (B).  A third reports through KMFDDM's status
    # values, where no declaration list ever comes: only its install
    # reason's declaration (B) applies.
    mac = {"device": {"operating-system": {"version": "26.0", "family": "macOS"}},
           "softwareupdate": {"install-state": "downloading"}}
    confs = {"management": {"declarations": {"configurations": [
        {"identifier": "com.example.A", "active": True, "valid": "valid", "server-token": "1"}]}}}
    reason = {"install-reason": {"reason": ["declaration"], "declaration-id": "com.example.B"}}
    env = "".join(json.dumps({"received_at": at, "serial_number": s, "report": {
        "StatusItems": items, "Errors": [], "FullReport": full}}) + "\n" for at, s, items, full in [
        ("2026-11-20T10:00:00Z", "C02DECLM0001", dict(mac, **confs), True),
        ("2026-11-21T10:00:00Z", "C02DECLM0001", {"softwareupdate": {"install-state": "installing"}}, False),
        ("2026-11-20T10:00:00Z", "C02DECLM0002", dict(mac, **confs), True),
        ("2026-11-21T10:00:00Z", "C02DECLM0002", {
            "device": mac["device"], "softwareupdate": dict(mac["softwareupdate"], **reason)}, True)])
    values = {"0C0C0C0C-0000-4000-8000-00000000000C": [
        {"path": ".StatusItems.device.identifier.serial-number", "value": "C02DECLM0003",
         "timestamp": "2026-11-21T10:00:00Z"},
        {"path": ".StatusItems.device.operating-system.version", "value": "26.0",
         "timestamp": "2026-11-21T10:00:00Z"},
        {"path": ".StatusItems.device.operating-system.family", "value": "macOS",
         "timestamp": "2026-11-21T10:00:00Z"},
        {"path": ".StatusItems.softwareupdate.install-reason.reason", "value": "declaration",
         "timestamp": "2026-11-21T10:00:00Z"},
        {"path": ".StatusItems.softwareupdate.install-reason.declaration-id", "value": "com.example.B",
         "timestamp": "2026-11-21T10:00:00Z"}]}
    decls = [t.write(f"{i}.json", json.dumps({"Type": ENFORCEMENT, "Identifier": f"com.example.{i}",
                                              "Payload": {"TargetOSVersion": v, "TargetLocalDateTime": d}}))
             for i, v, d in (("A", "26.1", "2026-11-22T12:00:00"), ("B", "26.0.1", "2026-11-23T12:00:00"))]
    tg = t.write("t.csv", TARGETS_HEADER + "macOS,*,,26.2,2026-11-30T12:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", "2026-11-24T12:00:00Z", "--default-tz", "UTC", tg, *decls,
         t.write("e.ndjson", env), t.write("v.json", json.dumps(values)))
    got = {d["serial_number"]: (d["classification"], d["target_os_version"], d["deadline_utc"])
           for d in t.csv("devices")}
    assert got == {"C02DECLM0001": ("past-deadline", "26.1", "2026-11-22T12:00:00Z"),
                   "C02DECLM0002": ("past-deadline", "26.0.1", "2026-11-23T12:00:00Z"),
                   "C02DECLM0003": ("past-deadline", "26.0.1", "2026-11-23T12:00:00Z")}, got


def test_kmfddm_status_values_a_path_with_many_values_counts_its_newest(t):
    # Found reading KMFDDM's MySQL storage for the oracle: status_values
    # keeps one row per value a path has ever had (UNIQUE on enrollment,
    # path and value), listed by when each was first seen, `timestamp`
    # the last time it was.  A Mac downloading on Nov 18, failed on Nov
    # 20 and downloading again on Nov 22 is listed downloading (Nov 22),
    # failed (Nov 20): the tool kept the value listed last and said
    # Error, though the Mac said downloading last.  Its OS version, 26.0
    # then 26.0.1, and a pending version that went 26.1 -> 26.2 -> 26.1
    # likewise: the newest timestamp counts.
    e = "0E0E0E0E-0000-4000-8000-00000000000E"
    vals = [(".StatusItems.device.identifier.serial-number", "C02NEWEST001", "2026-11-22T10:00:00Z"),
            (".StatusItems.device.operating-system.family", "macOS", "2026-11-22T10:00:00Z"),
            (".StatusItems.softwareupdate.install-state", "downloading", "2026-11-22T10:00:00Z"),
            (".StatusItems.device.operating-system.version", "26.0", "2026-11-19T10:00:00Z"),
            (".StatusItems.softwareupdate.pending-version.os-version", "26.1", "2026-11-22T10:00:00Z"),
            (".StatusItems.softwareupdate.pending-version.target-local-date-time", "2026-11-23T12:00:00",
             "2026-11-19T10:00:00Z"),
            (".StatusItems.softwareupdate.install-state", "failed", "2026-11-20T10:00:00Z"),
            (".StatusItems.device.operating-system.version", "26.0.1", "2026-11-22T10:00:00Z"),
            (".StatusItems.softwareupdate.pending-version.os-version", "26.2", "2026-11-20T10:00:00Z"),
            (".StatusItems.softwareupdate.pending-version.target-local-date-time", "2026-11-30T12:00:00",
             "2026-11-22T10:00:00Z")]
    v = t.write("v.json", json.dumps({e: [{"path": p, "value": x, "timestamp": ts, "status_id": "s"}
                                          for p, x, ts in vals]}))
    t.ok("run", "--out", t.out, "--as-of", "2026-11-24T12:00:00Z", "--default-tz", "UTC", v)
    d = t.csv("devices")[0]
    assert (d["status"], d["os_version"], d["target_os_version"], d["deadline_utc"], d["classification"],
            d["last_seen"]) == ("Downloading", "26.0.1", "26.1", "2026-11-30T12:00:00Z", "stuck-downloading",
                                "2026-11-22T10:00:00Z"), d
