"""JSON edge cases the brief names: duplicate keys, out-of-range numbers, booleans where Apple's schema has a number."""
import json

from lib import sql


def _capture(t, name, text):
    return t.write(f"caps/{name}.20261120-080000.000001.status.json", text)


def test_duplicate_key_takes_the_last_value(t):
    _capture(t, "E1", '{"StatusItems":{"device":{"identifier":{"serial-number":"DUPK1"},'
                      '"operating-system":{"version":"15.1","version":"15.2"}},'
                      '"softwareupdate":{"install-state":"none","install-state":"downloading"}},'
                      '"Errors":[]}')
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-21T00:00:00Z", t.path("caps"))
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}["DUPK1"]
    assert (dev["os_version"], dev["status"], dev["status_raw"]) == ("15.2", "Downloading", "downloading")


def test_number_out_of_range_rejects_the_document(t):
    doc = {"StatusItems": {"device": {"identifier": {"serial-number": "BIGN1"}},
                           "softwareupdate": {"install-state": "failed",
                                              "failure-reason": {"count": 7}}},
           "Errors": []}
    good = json.dumps(doc)
    _capture(t, "E1", good.replace('"count": 7', '"count": 1e308'))   # large but finite: fine
    for i, big in enumerate(("1e999", "-1e999"), start=2):
        _capture(t, f"E{i}", good.replace('"count": 7', f'"count": {big}').replace("BIGN1", f"BIGN{i}"))
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-21T00:00:00Z", t.path("caps"))
    assert r.rc == 65 and r.err.count("1 of 1 rows rejected") == 2, r
    rej = t.csv("rejected")
    assert len(rej) == 2, rej
    for row in rej:
        assert "number out of range" in row["reason"] and "failure-reason" in row["reason"], row
        assert row["line"] == "1"
    assert sql(t.db, "SELECT group_concat(serial_number) FROM observation").strip() == "BIGN1"


def test_a_boolean_failure_count_is_no_count(t):
    # Apple's schema: failure-reason.count is an integer.  A report that
    # writes true there says no number of failures; json_tree's atom for
    # true is 1, which the Errors report would have shown as one failure.
    def doc(serial, count):
        return json.dumps({"StatusItems": {
            "device": {"identifier": {"serial-number": serial},
                       "operating-system": {"version": "26.0"}},
            "softwareupdate": {"install-state": "failed",
                               "failure-reason": {"count": count, "reason": "Disk"}}},
            "Errors": []})
    _capture(t, "B1", doc("BOOL1", True))
    _capture(t, "B2", doc("BOOL2", False))
    _capture(t, "B3", doc("NUM3", 3))
    r = t.run("run", "--out", t.out, "--as-of", "2026-11-21T00:00:00Z", t.path("caps"))
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert (dev["BOOL1"]["failure_count"], dev["BOOL1"]["failure_reason"]) == ("", "Disk"), dev["BOOL1"]
    assert dev["BOOL2"]["failure_count"] == "", dev["BOOL2"]
    assert dev["NUM3"]["failure_count"] == "3", dev["NUM3"]
    assert dev["BOOL1"]["status"] == "Error", dev["BOOL1"]
