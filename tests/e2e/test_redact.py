"""--redact: personal data in the outputs becomes stable pseudonyms."""
import os
import re
import zipfile

from lib import SAMPLE_INPUTS, SAMPLES, SAMPLES_AS_OF, sql


def _all_output_text(d):
    text = ""
    for n in os.listdir(d):
        p = os.path.join(d, n)
        if n.endswith(".xlsx"):
            with zipfile.ZipFile(p) as z:
                text += "".join(z.read(m).decode("utf-8", "replace") for m in z.namelist())
        else:
            text += open(p, encoding="utf-8", errors="replace").read()
    return text


def test_redact_hides_names_and_users_everywhere(t):
    r = t.run("run", "--redact", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS)
    assert r.rc == 0, r
    text = _all_output_text(t.out)
    assert "@example.com" not in text
    # device names such as "Aiko's MacBook Air" (model ids like MacBookPro15,2 stay)
    assert not re.search(r"[\u2019']s (MacBook|iPhone|iPad|iMac|Mac)", text)
    with open(os.path.join(SAMPLES, "inventory.csv"), encoding="utf-8") as f:
        assert re.search(r"[\u2019']s (MacBook|iPhone|iPad|iMac|Mac)", f.read())
    devices = t.csv("devices")
    assert all(re.fullmatch(r"anon-[0-9a-f]{12}", d["user"]) for d in devices if d["user"])
    assert all(re.fullmatch(r"[A-Z0-9]{8,14}", d["serial_number"]) for d in devices)
    # rejected rows keep file, line and reason; their raw text is a pseudonym
    rej = t.csv("rejected")
    assert rej and all(x["raw"].startswith("anon-") and x["line"] for x in rej)


def test_redact_pseudonyms_are_stable_and_match_across_reports(t):
    assert t.run("run", "--redact", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS).rc == 0
    devices = {d["serial_number"]: d for d in t.csv("devices")}
    for row in t.csv("past-deadline"):
        assert row["user"] == devices[row["serial_number"]]["user"]
    first = open(os.path.join(t.out, "devices.csv"), "rb").read()
    assert t.run("report", "--redact", "--out", t.out, "--as-of", SAMPLES_AS_OF).rc == 0
    assert open(os.path.join(t.out, "devices.csv"), "rb").read() == first
    # the same person on two devices gets one pseudonym; two people get two
    users = sql(t.db, "SELECT user, count(*) FROM device WHERE user IS NOT NULL GROUP BY user "
                      "ORDER BY 2 DESC LIMIT 1").split("|")
    pseud = {d["user"] for d in devices.values() if d["user"]}
    assert len(pseud) == int(sql(t.db, "SELECT count(DISTINCT user) FROM device").strip()), users


def test_redact_key_lives_in_the_database(t):
    assert t.run("run", "--redact", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS).rc == 0
    key = sql(t.db, "SELECT value FROM meta WHERE key = 'redact-key'").strip()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    one = t.csv("devices")[0]["user"]
    # another database, another key: the pseudonyms differ
    other = t.path("other.db")
    out2 = t.path("out2")
    assert t.run("run", "--redact", "--db", other, "--out", out2, "--as-of", SAMPLES_AS_OF,
                 *SAMPLE_INPUTS).rc == 0
    assert t.csv("devices", where=out2)[0]["user"] != one


def test_without_redact_data_is_shown_and_about_says_so(t):
    assert t.run("run", "--out", t.out, "--as-of", SAMPLES_AS_OF, *SAMPLE_INPUTS).rc == 0
    assert "@example.com" in open(os.path.join(t.out, "devices.csv")).read()
    from lib import sheet_rows
    _, rows = sheet_rows(t.workbook()["About"])
    assert {r[1]: r[2] for r in rows if r[0] == "Run"}["Redact personal data"] == "no"
