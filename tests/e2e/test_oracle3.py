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

KMFDDM and user channels: see the third fleet.
"""
import json
import random

from test_oracle import DAY, HOUR, iso, vcmp  # noqa: F401
from test_oracle2 import (DDM_FIELDS, DDM_PLATFORMS, GROUPS, INSTALL_STATES, ZONES, _td, dt_naive,
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
        else:
            rows.append({"id": did, "version": v, "deadline": _deadline(rnd, near), "platform": platform,
                         "group": rnd.choice(["*"] + GROUPS), "serial": ""})
    return files, rows


def jamf_fleet(seed, n=150, nights=5, with_decls=False):
    rnd = random.Random(seed)
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
                items["device.identifier.serial-number"] = (s, t)
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
    tg += [",".join([x["platform"], x["group"], "", x["version"], x["deadline"], x["id"]]) + "\n"
           for x in drows]
    for k, d in enumerate(dfiles):
        files.append(t.write(f"{name}/decl{k}.json", json.dumps({
            "Type": ENFORCEMENT, "Identifier": d["id"], "ServerToken": "t%d" % k,
            "Payload": {"TargetOSVersion": d["version"], "TargetLocalDateTime": d["deadline"],
                        "DetailsURL": "https://example.com/%d" % k}})))
    return [t.write(f"{name}/inventory.csv", "".join(iv)), t.write(f"{name}/targets.csv", "".join(tg))] \
        + files


def applicable(active, platform, group, dfiles, drows):
    """The declaration targets a device's active declarations bring."""
    out = []
    for d in dfiles + drows:
        if d["id"] not in active:
            continue
        if d["platform"] and d["platform"] != platform:
            continue
        if d["group"] != "*" and (not group or d["group"].lower() != group.lower()):
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
            decls[dev["serial"]] = applicable(obs[-1]["active"], platform, i["group"] if i else "",
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
