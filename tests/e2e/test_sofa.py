"""SOFA feeds (macadmins/sofa v1/v2): OS releases and actively exploited
CVEs, the devices report's latest_os_version / exploited_* columns and the
exploited report.  Expected values are computed here from the JSON with
Python's json module, never with ddmreport's own code."""
import json
import os

from lib import INVENTORY_HEADER, REFERENCE, empty_sheet_line, sheet_rows, sql

SOFA = os.path.join(REFERENCE, "sofa")
FEEDS = ("v1-macos_data_feed.json", "v2-macos_data_feed.json", "v2-ios_data_feed.json")
AS_OF = "2026-11-26T12:00:00Z"
PLATFORMS = ("macOS", "iOS", "iPadOS", "tvOS", "watchOS", "visionOS")


def _expected(path):
    """(entries, {(platform, version): set of exploited CVEs}) of a feed."""
    with open(path) as f:
        doc = json.load(f)
    entries, rel = 0, {}
    for osv in doc["OSVersions"]:
        for r in osv["SecurityReleases"]:
            entries += 1
            # The platforms the update's name names ("iOS 18.7.6": iPhones
            # only, "iPadOS 17.7.10": iPads only), else the ProductName's.
            names = (r.get("UpdateName") or "").replace(",", " ").replace("(", " ") \
                .replace(")", " ").split()
            if not any(p in names for p in PLATFORMS):
                names = (r.get("ProductName") or "").split()
            for p in PLATFORMS:
                if p in names:
                    rel.setdefault((p, r["ProductVersion"]), set()).update(
                        r.get("ActivelyExploitedCVEs") or [])
    return entries, rel


def _stored(db):
    rows = sql(db, "SELECT platform, version, exploited_cves FROM os_release").splitlines()
    return {(p, v): set(c.split()) for p, v, c in (r.split("|") for r in rows)}


def test_reference_feeds_store_every_release(t):
    for i, fn in enumerate(FEEDS):
        db = t.path(f"f{i}.db")
        path = os.path.join(SOFA, fn)
        t.ok("ingest", "--db", db, path)
        entries, rel = _expected(path)
        assert _stored(db) == rel, fn
        got = sql(db, "SELECT kind, format, rows_read, rows_stored, rows_duplicate, "
                      "rows_rejected, sha256 FROM source_file").strip().split("|")
        fmt = "sofa-v1" if fn.startswith("v1") else "sofa-v2"
        assert got[:6] == ["feed", fmt, str(entries), str(len(rel)), "0", "0"], (fn, got)
        assert len(got[6]) == 64
    # the iOS feed's "iOS and iPadOS" entries give both platforms, its
    # iPad-only and iPhone-only updates one each
    _, ios = _expected(os.path.join(SOFA, "v2-ios_data_feed.json"))
    plats = sql(t.path("f2.db"), "SELECT platform, count(*) FROM os_release GROUP BY 1")
    n_ios = len({v for p, v in ios if p == "iOS"})
    n_ipad = len({v for p, v in ios if p == "iPadOS"})
    assert n_ios != n_ipad
    assert plats.split() == [f"iOS|{n_ios}", f"iPadOS|{n_ipad}"], plats


def test_ipad_only_releases_are_not_an_iphones_latest(t):
    # The iOS feed lists "iPadOS 17.7.11" (older iPads kept getting 17.x)
    # under ProductName "iOS and iPadOS"; iPhones never got it.
    inv = t.write("inv.csv", INVENTORY_HEADER +
                  "IPHONE1770,phone,,,iOS,\"iPhone12,1\",UTC,2026-11-25T08:00:00Z,17.7.2\n"
                  "IPAD177020,pad,,,iPadOS,\"iPad7,11\",UTC,2026-11-25T08:00:00Z,17.7.2\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, inv,
         os.path.join(SOFA, "v2-ios_data_feed.json"))
    dev = {r["serial_number"]: r for r in t.csv("devices")}
    assert dev["IPHONE1770"]["latest_os_version"] == "17.7.2", dev["IPHONE1770"]
    assert dev["IPAD177020"]["latest_os_version"] == "17.7.11", dev["IPAD177020"]


def test_feeds_in_about_and_reingest_changes_nothing(t):
    paths = [os.path.join(SOFA, fn) for fn in FEEDS]
    t.ok("run", "--out", t.out, "--as-of", AS_OF, *paths)
    dump = sql(t.db, "SELECT * FROM os_release ORDER BY platform, version")
    files = sql(t.db, "SELECT count(*) FROM source_file").strip()
    first = {n: open(os.path.join(t.out, n + ".csv"), "rb").read()
             for n in ("devices", "exploited")}
    # the same bytes again, also under another name
    t.write("copy/renamed.json", open(paths[2], "rb").read())
    t.ok("run", "--out", t.out, "--as-of", AS_OF, *paths, t.path("copy"))
    assert sql(t.db, "SELECT * FROM os_release ORDER BY platform, version") == dump
    assert sql(t.db, "SELECT count(*) FROM source_file").strip() == files
    for n, b in first.items():
        assert open(os.path.join(t.out, n + ".csv"), "rb").read() == b, n
    # the second run ingested nothing new: About says so, Inputs lists all
    headers, rows = sheet_rows(t.workbook()["About"])
    assert not [r for r in rows if r[0] == "Input"], rows
    assert [r[2] for r in rows if r[1] == "Earlier inputs"] == \
        ["3 files ingested by earlier runs: see the Inputs sheet"], rows
    headers, rows = sheet_rows(t.workbook()["Inputs"])
    feeds = [r for r in rows if r[headers.index("Kind")] == "SOFA feed"]
    assert len(feeds) == 3, rows
    assert all(len(r[1]) == 64 for r in feeds), feeds


def _feed(releases, product="macOS", v2=True):
    """A small feed: releases are (version, date, [exploited CVEs])."""
    majors = {}
    for ver, date, cves in releases:
        majors.setdefault(ver.split(".")[0], []).append({
            "UpdateName": f"{product} {ver}", "ProductName": product,
            "ProductVersion": ver, "Build": "", "ReleaseDate": date + "T00:00:00Z",
            "CVEs": {c: True for c in cves}, "ActivelyExploitedCVEs": cves,
            "UniqueCVEsCount": len(cves)})
    doc = {"UpdateHash": "00" * 32,
           "OSVersions": [{"OSVersion": m, "Latest": {}, "SecurityReleases": rs}
                          for m, rs in sorted(majors.items(), reverse=True)]}
    if v2:
        doc = dict({"SchemaVersion": "test", "Version": "2.0"}, **doc)
    return json.dumps(doc, indent=2)


INV = INVENTORY_HEADER + "".join(
    f"{s},Device {s},user{s[-1]}@example.com,Lab,{p},,UTC,2026-11-25T10:00:00Z,{v}\n"
    for s, p, v in (("C02OLD0001", "macOS", "15.4"), ("C02CUR0001", "macOS", "15.5"),
                    ("C02NEW0001", "macOS", "15.6"), ("C02RSR0001", "macOS", "15.4.1 (a)"),
                    ("IPADOLD001", "iPadOS", "18.5"), ("IPHONE0001", "iOS", "18.6")))


def _write_fixture(t):
    t.write("inv.csv", INV)
    t.write("mac.json", _feed([
        ("15.4", "2026-03-01", []),
        ("15.5", "2026-10-01", ["CVE-2026-1111"]),
        # released after --as-of: ignored
        ("15.6", "2026-12-15", ["CVE-2026-2222"]),
    ]))
    t.write("ios.json", _feed([("18.5", "2026-05-01", []),
                               ("18.6", "2026-09-01", ["CVE-2026-3333", "CVE-2025-9999"])],
                              product="iOS and iPadOS"))


def test_generated_feed_exploited_report(t):
    _write_fixture(t)
    t.ok("run", "--out", t.out, "--as-of", AS_OF, t.path("inv.csv"), t.path("mac.json"),
         t.path("ios.json"))
    ex = {r["serial_number"]: r for r in t.csv("exploited")}
    assert set(ex) == {"C02OLD0001", "C02RSR0001", "IPADOLD001"}, ex
    assert list(ex["C02OLD0001"])[:4] == ["serial_number", "device_name", "user", "group"]
    old = ex["C02OLD0001"]
    assert old["exploited_cves"] == "CVE-2026-1111" and old["exploited_cve_count"] == "1", old
    assert old["latest_os_version"] == "15.5", old     # 15.6 is after --as-of
    assert old["classification"] == "no-target", old
    assert ex["C02RSR0001"]["exploited_cves"] == "CVE-2026-1111"
    ipad = ex["IPADOLD001"]
    assert ipad["platform"] == "iPadOS" and ipad["exploited_cve_count"] == "2", ipad
    assert ipad["exploited_cves"] == "CVE-2025-9999 CVE-2026-3333", ipad
    assert ipad["latest_os_version"] == "18.6", ipad
    dev = {r["serial_number"]: r for r in t.csv("devices")}
    assert dev["C02CUR0001"]["exploited_cve_count"] == "0", dev["C02CUR0001"]
    assert dev["C02NEW0001"]["exploited_cves"] == "", dev["C02NEW0001"]
    assert dev["C02NEW0001"]["latest_os_version"] == "15.5", dev["C02NEW0001"]
    assert dev["IPHONE0001"]["exploited_cve_count"] == "0"
    # a later --as-of sees 15.6 and its CVE
    t.ok("report", "exploited", "--out", t.path("later"), "--as-of", "2026-12-20T00:00:00Z")
    later = {r["serial_number"]: r for r in t.csv("exploited", where=t.path("later"))}
    assert later["C02CUR0001"]["exploited_cves"] == "CVE-2026-2222", later
    assert later["C02OLD0001"]["exploited_cves"] == "CVE-2026-1111 CVE-2026-2222"
    assert later["C02OLD0001"]["latest_os_version"] == "15.6"
    assert "C02NEW0001" not in later


def test_classifications_unchanged_and_no_feed_is_empty(t):
    _write_fixture(t)
    t.write("targets.csv", "platform,group,target_os_version,target_local_datetime\n"
            "macOS,*,15.5,2026-11-20T09:00:00\niPadOS,*,18.6,2026-12-20T09:00:00\n")
    base = [t.path("inv.csv"), t.path("targets.csv")]
    t.ok("run", "--out", t.path("a"), "--as-of", AS_OF, "--db", t.path("a.db"), *base)
    assert t.csv("exploited", where=t.path("a")) == []
    a = {r["serial_number"]: r for r in t.csv("devices", where=t.path("a"))}
    for r in a.values():
        assert (r["latest_os_version"], r["exploited_cve_count"], r["exploited_cves"]) == \
            ("", "", ""), r
    t.ok("run", "--out", t.path("b"), "--as-of", AS_OF, "--db", t.path("b.db"), *base,
         t.path("mac.json"), t.path("ios.json"))
    b = {r["serial_number"]: r for r in t.csv("devices", where=t.path("b"))}
    new = ("latest_os_version", "exploited_cve_count", "exploited_cves")
    for s in a:
        assert {k: v for k, v in a[s].items() if k not in new} == \
            {k: v for k, v in b[s].items() if k not in new}, s
    assert b["C02OLD0001"]["classification"] == "past-deadline"
    ex = {r["serial_number"]: r for r in t.csv("exploited", where=t.path("b"))}
    assert ex["C02OLD0001"]["classification"] == "past-deadline"
    assert ex["C02OLD0001"]["deadline_utc"] == "2026-11-20T09:00:00Z"


def test_empty_exploited_sheet_says_why(t):
    # Only the devices the fixture's feeds find patched (no exploited CVE
    # count above 0 in devices.csv): with no feed the sheet says a feed is
    # missing, with one it says no device qualifies; the CSV is empty both
    # times.
    _write_fixture(t)
    lines = INV.splitlines(keepends=True)
    t.write("patched.csv", lines[0] + "".join(x for x in lines[1:]
                                              if x.startswith(("C02CUR", "C02NEW", "IPHONE"))))

    def only_line(out):
        assert t.csv("exploited", where=out) == []
        return empty_sheet_line(t.workbook(where=out)["Exploited CVEs"])

    t.ok("run", "--out", t.path("a"), "--as-of", AS_OF, "--db", t.path("a.db"),
         t.path("patched.csv"))
    assert only_line(t.path("a")) == \
        "No SOFA feed was ingested: add one to see exploited CVEs."
    t.ok("run", "--out", t.path("b"), "--as-of", AS_OF, "--db", t.path("b.db"),
         t.path("patched.csv"), t.path("mac.json"), t.path("ios.json"))
    dev = t.csv("devices", where=t.path("b"))
    assert len(dev) == 3 and all(d["exploited_cve_count"] == "0" for d in dev), dev
    assert only_line(t.path("b")) == \
        "No device is missing a fix for an actively exploited CVE."


def test_later_feed_updates_releases(t):
    t.write("a.json", _feed([("15.5", "2026-10-01", ["CVE-2026-1111"])]))
    t.write("b.json", _feed([("15.5", "2026-10-01", ["CVE-2026-1111", "CVE-2026-4444"]),
                             ("15.6", "2026-11-01", [])]))
    t.ok("ingest", t.path("a.json"))
    t.ok("ingest", t.path("b.json"))
    got = sql(t.db, "SELECT version, exploited_cves, source_file FROM os_release "
                    "ORDER BY version").splitlines()
    assert got == ["15.5|CVE-2026-1111 CVE-2026-4444|2", "15.6||2"], got
    assert sql(t.db, "SELECT rows_read, rows_stored, rows_duplicate FROM source_file "
                     "ORDER BY id").split() == ["1|1|0", "2|2|0"]


def test_truncated_feed_rejected_with_file_and_reason(t):
    data = open(os.path.join(SOFA, "v2-macos_data_feed.json"), "rb").read()
    p = t.write("sofa-truncated.json", data[:len(data) // 2])
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, p)
    assert r.rc == 65 and "1 of 1 rows rejected" in r.err, r
    rej = t.csv("rejected")
    assert len(rej) == 1 and rej[0]["file"] == p, rej
    assert "truncated JSON" in rej[0]["reason"], rej
    assert sql(t.db, "SELECT count(*) FROM os_release").strip() == "0"


def test_detected_by_content_not_name(t):
    # a feed under a status-like name is still a feed; a JSON object with
    # OSVersions but no UpdateHash is not
    t.write("export.ndjson", _feed([("15.5", "2026-10-01", ["CVE-2026-1111"])], v2=False))
    t.write("other.json", json.dumps({"OSVersions": []}))
    r = t.run("ingest", t.path("export.ndjson"), t.path("other.json"))
    # the unrecognised file is refused whole (65); the feed is still read
    assert r.rc == 65 and "other.json:1: unrecognised JSON document" in r.err, r
    got = sql(t.db, "SELECT kind, format, rows_stored, rows_rejected FROM source_file "
                    "ORDER BY id").split()
    assert got[0] == "feed|sofa-v1|1|0", got
    rej = sql(t.db, "SELECT s.path, r.reason FROM rejected r JOIN source_file s "
                    "ON s.id = r.source_file")
    assert "other.json|unrecognised JSON document" in rej, rej
