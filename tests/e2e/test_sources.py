"""Sources as the real files are (issue 7 §3): NanoMDM webhook events (user
channel, identity from Authenticate / DeviceInformation), KMFDDM's file
storage folder and status-values API, Jamf Pro ids per object type,
management ids, Java-map values, managed software update plans, Kandji's
status_report.py and devices_report.py, unrecognised files.  The inputs are
in tests/fixtures/sources/, shaped after the public sources named in
tests/fixtures/README.md."""
import base64
import json
import os
import shutil

from lib import ROOT, TARGETS_HEADER, sql

FX = os.path.join(ROOT, "tests", "fixtures", "sources")
AS_OF = "2026-11-26T12:00:00Z"


def fx(name):
    return os.path.join(FX, name)


def obs(t, serial):
    q = ("SELECT reported_at, status, coalesce(status_raw,''), coalesce(os_version,''), "
         "coalesce(model,''), coalesce(platform,''), coalesce(target_os_version,''), "
         "coalesce(target_local_datetime,''), coalesce(failure_count,''), "
         "coalesce(failure_reason,''), coalesce(declarations,'') FROM observation "
         "WHERE serial_number = '%s' ORDER BY reported_at" % serial)
    return [r.split("|") for r in sql(t.db, q).splitlines()]


def files(t):
    q = ("SELECT kind, format, rows_read, rows_stored, rows_skipped, rows_rejected "
         "FROM source_file ORDER BY id")
    return sql(t.db, q).split()


def rejected(t):
    return sql(t.db, "SELECT reason FROM rejected ORDER BY rowid").splitlines()


def ts(iso):
    import datetime
    return str(int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()))


# ---- NanoMDM -------------------------------------------------------------

def test_nanomdm_user_channel_skipped_identity_learned(t):
    t.ok("ingest", fx("nanomdm-webhook.ndjson"))
    # 7 events: Authenticate, TokenUpdate and the DeviceInformation result
    # teach identities, the user-channel report is skipped: 4 skipped
    assert files(t) == ["status|nanomdm-webhook|7|3|4|0"], files(t)
    a = obs(t, "C02NANO0001")
    # reports without a serial, identified by the UDID Authenticate taught
    assert [o[1] for o in a] == ["Downloading", "Cached"], a
    # the user channel's full report (09:05) never became the Mac's state
    assert ts("2026-11-24T09:05:00Z") not in [o[0] for o in a], a
    # the later full report carries no device.* items: the model, platform
    # and version already known stay
    assert a[1][3:8] == ["26.0.1", "Mac15,3", "macOS", "26.1", "2026-11-30T17:00:00"], a
    b = obs(t, "C02NANO0002")   # UDID taught by a DeviceInformation result
    assert b and b[0][1] == "Error" and b[0][8:10] == ["2", "Not enough space"], b


def test_nanomdm_without_authenticate_cannot_identify(t):
    # control: the same log without the events that teach the serial
    lines = open(fx("nanomdm-webhook.ndjson")).read().splitlines()
    keep = [x for x in lines if '"topic":"mdm.DeclarativeManagement"' in x]
    p = t.write("dm-only.ndjson", "\n".join(keep) + "\n")
    r = t.run("ingest", p)
    assert r.rc == 65 and "3 of 4 rows rejected" in r.err, r
    assert all("has not been seen with one" in x for x in rejected(t)), rejected(t)
    assert sql(t.db, "SELECT count(*) FROM observation").strip() == "0"


def _plist(data):
    x = ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
         '\t<key>Data</key>\n\t<data>%s</data>\n\t<key>Endpoint</key>\n\t<string>status</string>\n'
         '\t<key>MessageType</key>\n\t<string>DeclarativeManagement</string>\n'
         '\t<key>UDID</key>\n\t<string>UDID-TWO-VALUES</string>\n</dict>\n</plist>\n'
         % base64.b64encode(data).decode())
    return base64.b64encode(x.encode()).decode()


def test_nanomdm_data_with_two_json_values_rejected_cleanly(t):
    # issue 8: two JSON values in one Data put stack bytes into the reason
    ev = {"topic": "mdm.DeclarativeManagement", "created_at": "2026-11-24T09:00:00Z",
          "checkin_event": {"udid": "UDID-TWO-VALUES", "raw_payload": _plist(
              b'{"StatusItems":{}} {"StatusItems":{}}')}}
    p = t.write("two.ndjson", json.dumps(ev) + "\n")
    r = t.run("ingest", p)
    assert r.rc == 65 and "1 of 1 rows rejected" in r.err, r
    assert rejected(t) == ["status report in check-in Data: not exactly one JSON value"], \
        rejected(t)


# ---- KMFDDM ---------------------------------------------------------------

ENR = "F1E2D3C4-B5A6-4789-8ABC-DEF012345678"


def _storage(t):
    dst = t.path("kmfddm")
    shutil.copytree(fx("kmfddm-storage"), dst)
    last = os.path.join(dst, ENR, "status.last.json")
    os.utime(last, (1795600000, 1795600000))
    return dst


def test_kmfddm_file_storage_folder_every_night(t):
    d = _storage(t)
    for night in (1, 2):
        r = t.ok("ingest", d)
        # the second night nothing was written into the folder: said
        assert r.err == ("" if night == 1 else "ddmreport: warning: nothing new: every input was "
                         "ingested before (the same content); did tonight's export arrive?\n"), r
    got = sql(t.db, "SELECT replace(path, '%s/', ''), format, rows_skipped FROM source_file "
                    "ORDER BY id" % d).split()
    assert got == [ENR + "/declaration-items.json|ddm-sync-documents|1",
                   ENR + "/status.declarations.csv|kmfddm-file-storage|2",
                   ENR + "/status.errors.csv|kmfddm-file-storage|1",
                   ENR + "/status.last.json|ddm-status-report|0",
                   ENR + "/status.values.csv|kmfddm-file-storage|5",
                   ENR + "/tokens.json|ddm-sync-documents|1",
                   "declaration.com.example.sw-update.macos-13-4.json|"
                   "ddm-enforcement-declaration|0"], got
    o = obs(t, "ZRMXJQTTFX")
    assert len(o) == 1 and o[0][0] == "1795600000" and o[0][3] == "13.3.1", o
    # the folder name is the enrollment id, learned with the serial
    assert sql(t.db, "SELECT serial_number FROM enrollment WHERE enrollment_id = '%s'"
               % ENR).strip() == "ZRMXJQTTFX"


def test_kmfddm_status_values_api(t):
    d = _storage(t)
    t.ok("ingest", d)
    # GET /v1/status-values/<id> without a serial: the enrollment names it
    sv = {ENR: [{"path": ".StatusItems.softwareupdate.install-state", "value": "downloading"},
                {"path": ".StatusItems.softwareupdate.pending-version.os-version", "value": "13.4"}]}
    p = t.write("values.json", json.dumps(sv))
    os.utime(p, (1795700000, 1795700000))
    t.ok("ingest", p, fx("kmfddm-status-values-mysql.json"))
    o = obs(t, "ZRMXJQTTFX")
    assert [x[1] for x in o] == ["Unknown", "Downloading"], o
    assert o[1][0] == "1795700000" and o[1][6] == "13.4" and o[1][3] == "13.3.1", o
    assert sql(t.db, "SELECT time_basis FROM source_file WHERE path LIKE '%values.json'"
               ).strip() == "mtime"
    # the mysql backend's form: the newest timestamp is the report's time
    m = obs(t, "F2LXKMFDDM")
    assert m == [[ts("2026-11-25T07:30:00Z"), "Installing", "installing", "", "", "", "", "",
                  "", "", ""]], m


def test_kmfddm_status_values_file_form_reads_pending_version(t):
    p = t.path("sv.json")
    shutil.copy(fx("kmfddm-status-values.json"), p)
    os.utime(p, (1795700000, 1795700000))
    t.ok("ingest", p)
    o = obs(t, "ZRMXJQTTFX")
    assert o == [["1795700000", "Downloading", "downloading", "13.3.1", "", "", "13.4",
                  "2026-11-28T18:00:00", "", "", ""]], o


# ---- Jamf Pro ---------------------------------------------------------------

def _jamf_inventory(t):
    t.ok("ingest", fx("jamf-computers.csv"), fx("jamf-mobile-devices.csv"))


def test_jamf_device_ids_are_per_object_type(t):
    _jamf_inventory(t)
    r = t.run("ingest", fx("jamf-update-statuses.json"))
    # 1 of 4 rows is over the default --max-rejected (1%): 65, rows kept
    assert r.rc == 65 and "1 of 4 rows rejected" in r.err, r
    # computer 1 and mobile device 1 are two devices
    assert obs(t, "C02JAMFC001")[0][1:3] == ["Downloading", "DOWNLOADING"]
    m = obs(t, "DMPJAMFM001")[0]
    # an action-needed state is an error with Jamf's word as the reason
    assert m[1:3] == ["Error", "DOWNLOAD_REQUIRES_COMPUTER"] and \
        m[9] == "DOWNLOAD_REQUIRES_COMPUTER", m
    assert obs(t, "C02JAMFC002")[0][1] == "Pass"
    assert rejected(t) == ["Jamf MOBILE_DEVICE id 7 is not in the inventory "
                           "(jamf_mobile_device_id column)"], rejected(t)


def test_jamf_statuses_after_ddm_reports_in_one_file_keep_file_order(t):
    # DDM reports are merged when the file ends; a document that stores
    # observations itself first has the reports before it stored, so the
    # first row of a report key still wins (a duplicate, not an update).
    _jamf_inventory(t)
    env = {"received_at": "2026-11-25T08:00:00Z", "serial_number": "C02JAMFC001",
           "report": {"StatusItems": {"softwareupdate": {
               "install-state": "downloading",
               "pending-version": {"os-version": "26.1"}}},
               "FullReport": False}}
    with open(fx("jamf-update-statuses.json")) as f:
        jamf = json.load(f)
    t.write("mixed.ndjson", json.dumps(env) + "\n" + json.dumps(jamf) + "\n")
    r = t.run("ingest", t.path("mixed.ndjson"))
    assert r.rc == 65, r
    q = ("SELECT status, status_raw, line FROM observation "
         "WHERE serial_number = 'C02JAMFC001'")
    assert sql(t.db, q).split() == ["Downloading|downloading|1"], sql(t.db, q)
    # 2 reports + 1 Jamf status stored, the other Jamf one a duplicate
    q = ("SELECT rows_read, rows_stored, rows_duplicate, rows_rejected "
         "FROM source_file ORDER BY id DESC LIMIT 1")
    assert sql(t.db, q).split() == ["5|3|1|1"], sql(t.db, q)


def test_jamf_inventory_columns_and_aliases(t):
    inv = t.write("inv.csv", "serial_number,jamf_id,jamf_mobile_device_id,management_id\n"
                  "C02ALIAS001,41,,aaaa-1\nDMPALIAS002,,41,\n")
    jss = t.write("jss.csv", "Serial Number,JSS Computer ID,Management ID\nC02ALIAS003,42,bbbb-3\n")
    can = t.write("can.csv", "serial_number,Jamf Pro Computer ID,JSS Mobile Device ID\n"
                  "C02ALIAS004,43,\nDMPALIAS005,,43\n")
    t.ok("ingest", inv, jss, can)
    got = sql(t.db, "SELECT serial_number, coalesce(jamf_id,''), "
                    "coalesce(jamf_mobile_device_id,''), coalesce(management_id,'') "
                    "FROM device ORDER BY 1").split()
    assert got == ["C02ALIAS001|41||aaaa-1", "C02ALIAS003|42||bbbb-3", "C02ALIAS004|43||",
                   "DMPALIAS002||41|", "DMPALIAS005||43|"], got


def test_jamf_status_items_by_management_id_with_java_maps(t):
    _jamf_inventory(t)
    t.ok("ingest", fx("jamf-ddm-status-items.json"))
    o = obs(t, "C02JAMFC001")
    assert len(o) == 1, o
    assert o[0][0] == ts("2026-11-25T10:00:00Z")
    assert o[0][1:4] == ["Error", "failed", "26.0.1"], o
    # the active configuration (a list of Java maps) and the install reason
    assert o[0][6:11] == ["26.1", "2026-11-30T18:00:00", "2", "Download failed, retrying later",
                          "com.jamf.ddm.sw-update.26-1 com.jamf.ddm.sw-update.26-1"], o


def test_jamf_status_items_management_id_from_file_name(t):
    _jamf_inventory(t)
    doc = json.load(open(fx("jamf-ddm-status-items.json")))
    del doc["clientManagementId"]
    p = t.write("7b9e4d2c-1a3f-4e5b-9c8d-0f1e2a3b4c22.json", json.dumps(doc))
    t.ok("ingest", p)
    assert obs(t, "C02JAMFC002")[0][1] == "Error"
    # control: under another name (other bytes) the items have no identity
    doc["statusItems"][0]["lastUpdateTime"] = "2026-11-25T07:00:01Z"
    q = t.write("items.json", json.dumps(doc))
    r = t.run("ingest", q)
    assert "no identity" in rejected(t)[-1], (r, rejected(t))


def test_jamf_plans_are_serial_targets_never_statuses(t):
    _jamf_inventory(t)
    t.ok("ingest", fx("jamf-plans.json"))
    assert files(t)[-1] == "targets|jamf-software-update-plans|3|2|1|0", files(t)
    assert sql(t.db, "SELECT count(*) FROM observation").strip() == "0"
    r = t.run("ingest", fx("jamf-update-statuses.json"), "--max-rejected", "50%")
    assert r.rc == 0, r
    assert sql(t.db, "SELECT count(*) FROM target").strip() == "2"   # statuses add none
    r = t.run("report", "--out", t.out, "--as-of", AS_OF)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    c2, m1 = dev["C02JAMFC002"], dev["DMPJAMFM001"]
    assert (c2["target_scope"], c2["target_os_version"], c2["deadline_local"]) == \
        ("serial", "26.1", "2026-11-25T17:00:00"), c2
    assert (m1["target_scope"], m1["platform"], m1["deadline_local"]) == \
        ("serial", "iOS", "2026-12-05T09:00:00"), m1
    # the latest-version plan of computer 1 sets no deadline
    assert dev["C02JAMFC001"]["target_scope"] in ("", "device"), dev["C02JAMFC001"]


def test_jamf_inventory_rapid_security_response_counts_toward_target(t):
    # Jamf Pro's computer inventory field "Operating System Rapid Security
    # Response" (Advanced Search / smart group criterion; the API's
    # operatingSystem.rapidSecurityResponse) holds "(a)" beside the version.
    inv = t.write("jamf.csv",
                  "Computer Name,Serial Number,Operating System Version,"
                  "Operating System Rapid Security Response,Last Check-in,Model Identifier,"
                  "JSS Computer ID\n"
                  "Ana,C02JRSR0001,26.0.1,(a),2026-11-25 18:04:11,\"Mac15,3\",1\n"
                  "Ben,C02JRSR0002,26.0.1,,2026-11-25 18:04:11,\"Mac14,2\",2\n")
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.0.1 (a),,2026-11-20T09:00:00,\n")
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, inv, tg)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert dev["C02JRSR0001"]["os_version"] == "26.0.1 (a)", dev["C02JRSR0001"]
    assert dev["C02JRSR0001"]["classification"] == "compliant", dev["C02JRSR0001"]
    assert dev["C02JRSR0002"]["classification"] == "past-deadline", dev["C02JRSR0002"]


def test_jamf_computers_without_a_model_column_are_macs(t):
    # Every Jamf Pro computer is a Mac: a computer export that carries no
    # Platform, Model or Model Identifier column still meets macOS targets
    # (it used to leave the platform unknown: no-target, never past due).
    # A mobile device export without a model stays unknown: it could be any.
    inv = t.write("jamf.csv",
                  "Computer Name,Serial Number,Operating System Version,Last Check-in,"
                  "Jamf Pro Computer ID\n"
                  "Ana,C02JNOM0001,26.0.1,2026-11-25 18:04:11,11\n")
    mob = t.write("mobile.csv",
                  "Display Name,JSS Mobile Device ID,OS Version,Serial Number\n"
                  "Pad,300,26.0.1,DMPJNOM0001\n")
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, inv, mob, tg)
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert (dev["C02JNOM0001"]["platform"], dev["C02JNOM0001"]["classification"]) == \
        ("macOS", "past-deadline"), dev["C02JNOM0001"]
    assert (dev["DMPJNOM0001"]["platform"], dev["DMPJNOM0001"]["classification"]) == \
        ("", "no-target"), dev["DMPJNOM0001"]


def test_jamf_mobile_inventory_model_name_and_rapid_security_response(t):
    # A Jamf Pro mobile device Advanced Search export names the response "OS
    # Rapid Security Response" and may carry only "Model" (the marketing name,
    # "iPhone 15") without "Model Identifier": the platform still follows.
    inv = t.write("mobile.csv",
                  "Display Name,JSS Mobile Device ID,Last Inventory Update,Model,"
                  "OS Rapid Security Response,OS Version,Serial Number,Time Zone\n"
                  "Pad,200,2026-11-25T10:00:00,iPad (10th generation),(a),26.0.1,DMPJMOB0001,"
                  "Europe/Paris\n"
                  "Phone,202,2026-11-25T10:00:00,iPhone 15,,26.0.1,DMPJMOB0002,\n"
                  "TV,204,2026-11-25T10:00:00,Apple TV 4K (3rd generation),,26.0.1,"
                  "DMPJMOB0003,\n")
    tg = t.write("targets.csv", TARGETS_HEADER +
                 "iPadOS,*,,26.0.1 (a),,2026-11-20T09:00:00,\n"
                 "iOS,*,,26.1,,2026-11-20T09:00:00,\n")
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, inv, tg)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    pad, phone = dev["DMPJMOB0001"], dev["DMPJMOB0002"]
    assert (pad["platform"], pad["os_version"], pad["classification"]) == \
        ("iPadOS", "26.0.1 (a)", "compliant"), pad
    assert (phone["platform"], phone["classification"]) == ("iOS", "past-deadline"), phone
    assert dev["DMPJMOB0003"]["platform"] == "tvOS", dev["DMPJMOB0003"]


def test_jamf_canceled_plan_sets_no_deadline(t):
    # Jamf Pro's ManagedSoftwareUpdatePlan status.state enum (developer.jamf.com,
    # GET /v1/managed-software-updates/plans) has PlanCanceled: a canceled plan
    # no longer enforces anything, so its forced time is no deadline.
    _jamf_inventory(t)

    def plan(uuid, ver, build, when, state):
        return {"planUuid": uuid,
                "device": {"deviceId": "2", "objectType": "COMPUTER",
                           "href": "/v1/computers-inventory/2"},
                "updateAction": "DOWNLOAD_INSTALL_SCHEDULE", "versionType": "SPECIFIC_VERSION",
                "specificVersion": ver, "buildVersion": build, "maxDeferrals": 0,
                "forceInstallLocalDateTime": when, "recipeId": "-1",
                "status": {"state": state, "errorReasons": []}}
    doc = {"totalCount": 2, "results": [
        plan("1C7A0E52-0D1B-4B8E-9F3A-5E2D4C6B8A01", "26.0.2", "25A400", "2026-11-20T17:00:00",
             "PlanCanceled"),
        plan("2D8B1F63-1E2C-4C9F-8A4B-6F3E5D7C9B12", "26.1", "25B78", "2026-12-20T17:00:00",
             "DDMPlanScheduled")]}
    p = t.write("plans.json", json.dumps(doc))
    t.ok("ingest", p)
    assert files(t)[-1] == "targets|jamf-software-update-plans|2|1|1|0", files(t)
    r = t.run("report", "--out", t.out, "--as-of", AS_OF)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    c2 = dev["C02JAMFC002"]
    assert (c2["classification"], c2["target_os_version"], c2["deadline_local"]) == \
        ("in-progress", "26.1", "2026-12-20T17:00:00"), c2


# ---- Kandji -----------------------------------------------------------------

def test_kandji_status_report_only_managed_os_items(t):
    t.ok("ingest", fx("kandji-devices-report.csv"))
    r = t.run("ingest", fx("kandji-status-report.csv"))
    assert r.rc == 0 and r.err == "", r
    # 6 rows: 3 library items that are not Managed OS skipped and counted,
    # 2 observations, 1 PENDING without a time kept on the device
    assert files(t)[-1] == "status|kandji|6|3|3|0", files(t)
    a, b = obs(t, "C02KAND0001"), obs(t, "C02KAND0002")
    assert [x[1] for x in a] == ["Pass"] and a[0][9] == "", a   # PASS: log is no reason
    assert [x[1] for x in b] == ["Error"], b
    assert b[0][9] == "Not enough free disk space to download macOS 26.1", b
    r = t.run("report", "--out", t.out, "--as-of", AS_OF)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    c = dev["C02KAND0003"]
    assert (c["status"], c["status_raw"], c["last_seen"], c["group"]) == \
        ("Pending", "PENDING", "", "Finance"), c
    about = t.workbook()["Inputs"]
    vals = [[x.value for x in row] for row in about.iter_rows()]
    head = next(r for r in vals if "Skipped" in r)
    row = next(r for r in vals if any(isinstance(x, str) and x.endswith("kandji-status-report.csv")
                                      for x in r))
    assert row[head.index("Skipped")] == 3, (head, row)


def test_kandji_status_without_type_column_keeps_rows(t):
    p = t.write("k.csv", "serial_number,device_name,blueprint_name,name,status,reported_at,log\r\n"
                "C02KNOTYPE1,Mac,Finance,macOS Tahoe,DOWNLOADING,2026-11-25 08:00:00+00:00,\r\n")
    t.ok("ingest", p)
    assert obs(t, "C02KNOTYPE1")[0][1] == "Downloading"


def test_kandji_devices_report_is_inventory(t):
    t.ok("ingest", fx("kandji-devices-report.csv"))
    assert files(t) == ["inventory|kandji-devices|3|3|0|0"], files(t)
    got = sql(t.db, "SELECT serial_number, user, grp, platform, os_version, last_check_in "
                    "FROM device ORDER BY 1").splitlines()
    assert got == [
        "C02KAND0001|ana@example.com|Engineering|macOS|26.1|" + ts("2026-11-25T22:10:00Z"),
        "C02KAND0002||Engineering|macOS|26.0.1 (a)|" + ts("2026-11-25T21:00:00Z"),
        "DMPKAND0004|Chloé Martin|Finance|iOS|26.0.1|" + ts("2026-11-25T20:00:00Z"),
    ], got


def test_kandji_rapid_security_response_counts_toward_target(t):
    t.ok("ingest", fx("kandji-devices-report.csv"))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.0.1 (a),,2026-11-20T09:00:00,\n")
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, tg)
    assert r.rc == 0, r
    dev = {d["serial_number"]: d for d in t.csv("devices")}
    assert dev["C02KAND0002"]["classification"] == "compliant", dev["C02KAND0002"]


def test_kandji_android_and_windows_devices_are_not_listed(t):
    # Kandji manages Android and Windows devices too (the API's platform
    # field; its reporting script keeps every platform): not Apple devices,
    # skipped and counted, not listed as no-target.
    with open(fx("kandji-devices-report.csv"), encoding="utf-8") as f:
        head, first = f.readline(), f.readline()
    rows = [first]
    for serial, plat, model, ver in (("R58N90ANDRO", "Android", "Pixel 8", "15"),
                                     ("WINDOWS0001", "Windows", "Surface Laptop 5", "11")):
        rows.append(f"{serial},0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a,{plat} device,{model},{plat},"
                    f"{ver},,,2026-11-25T20:00:00.000000Z,,,ab102b9d-8e9c-420d-a498-f2a1123091c7,"
                    "True,False,False,False,,2024-01-26 16:15:36.087016+00:00,"
                    "2024-05-13 20:09:27.374451+00:00,Engineering,\n")
    p = t.write("kandji-devices.csv", head + "".join(rows))
    t.ok("run", "--out", t.out, "--as-of", AS_OF, p)
    assert files(t)[0] == "inventory|kandji-devices|3|1|2|0", files(t)
    assert [d["serial_number"] for d in t.csv("devices")] == ["C02KAND0001"]


# ---- every source -------------------------------------------------------------

def test_unrecognised_files_exit_65_listing_what_is_accepted(t):
    j = t.write("mystery.json", json.dumps({"devices": [{"id": 1}]}))
    c = t.write("mystery.csv", "foo,bar\n1,2\n")
    for p in (j, c):
        r = t.run("ingest", p)
        assert r.rc == 65, r
        assert "not a known input format" in r.err, r
        for word in ("kandji-devices", "Jamf Pro managed software update plans",
                     "KMFDDM status values", "NanoMDM webhook event"):
            assert word in r.err, (word, r.err)
    assert sql(t.db, "SELECT count(*) FROM observation").strip() == "0"


def test_install_state_none_is_idle(t):
    p = t.write("e.ndjson", json.dumps({
        "received_at": "2026-11-25T08:00:00Z", "serial_number": "C02IDLE0001",
        "report": {"StatusItems": {"softwareupdate": {"install-state": "none"}},
                   "Errors": [], "FullReport": False}}) + "\n")
    t.ok("run", "--out", t.out, "--as-of", AS_OF, p)
    d = {x["serial_number"]: x for x in t.csv("devices")}["C02IDLE0001"]
    assert (d["status"], d["status_raw"]) == ("Idle", "none"), d


def _checkin(message_type, udid, serial=None):
    keys = [("MessageType", message_type), ("UDID", udid), ("Topic", "com.apple.mgmt.X")]
    if serial:
        keys.append(("SerialNumber", serial))
    body = "".join("\t<key>%s</key>\n\t<string>%s</string>\n" % kv for kv in keys)
    x = ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n%s</dict>\n'
         '</plist>\n' % body)
    return base64.b64encode(x.encode()).decode()


def _nano_event(topic, at, udid, payload):
    # as NanoMDM's webhook posts it (service/webhook: CheckinEvent with
    # udid, enrollment_id and the raw check-in plist)
    return json.dumps({"topic": topic, "event_id": "e-" + at, "created_at": at,
                       "checkin_event": {"udid": udid, "enrollment_id": udid,
                                         "raw_payload": payload}}) + "\n"


def test_nanomdm_checkout_takes_an_unenrolled_device_out_of_scope(t):
    # C02GONE0001 was past its 26.1 deadline, then its MDM profile was
    # removed (NanoMDM's mdm.CheckOut on Nov 25): it was counted past its
    # deadline and listed not-reporting forever after.  Now it is
    # out-of-scope with the CheckOut's time in notes, off the action lists;
    # C02BACK0001 checked out and re-enrolled, and reported since: counted.
    from lib import STATUS_HEADER
    status = t.write("s.csv", STATUS_HEADER + "".join(
        f"{s},Downloading,{at},,,,macOS,\"Mac15,3\",26.0,,,,,,UTC,,\n"
        for s, at in (("C02GONE0001", "2026-11-10T10:00:00Z"),
                      ("C02BACK0001", "2026-11-10T10:00:00Z"),
                      ("C02BACK0001", "2026-11-26T09:00:00Z"))))
    log = t.write("webhook.ndjson", "".join([
        _nano_event("mdm.Authenticate", "2026-11-01T08:00:00Z", "UDID-GONE",
                    _checkin("Authenticate", "UDID-GONE", "C02GONE0001")),
        _nano_event("mdm.Authenticate", "2026-11-01T08:00:00Z", "UDID-BACK",
                    _checkin("Authenticate", "UDID-BACK", "C02BACK0001")),
        _nano_event("mdm.CheckOut", "2026-11-25T16:00:00Z", "UDID-GONE",
                    _checkin("CheckOut", "UDID-GONE")),
        _nano_event("mdm.CheckOut", "2026-11-20T16:00:00Z", "UDID-BACK",
                    _checkin("CheckOut", "UDID-BACK")),
        _nano_event("mdm.CheckOut", "2026-11-20T16:00:00Z", "UDID-NEVER-SEEN",
                    _checkin("CheckOut", "UDID-NEVER-SEEN"))]))
    tg = t.write("targets.csv", TARGETS_HEADER + "macOS,*,,26.1,,2026-11-20T09:00:00,\n")
    r = t.run("run", "--out", t.out, "--as-of", AS_OF, tg, status, log)
    assert r.rc == 0, r
    assert files(t)[-1] == "status|nanomdm-webhook|5|2|3|0", files(t)
    d = {x["serial_number"]: x for x in t.csv("devices")}
    gone = d["C02GONE0001"]
    assert gone["classification"] == "out-of-scope", gone
    assert "unenrolled: the MDM's CheckOut at 2026-11-25T16:00:00Z" in gone["notes"], gone
    assert d["C02BACK0001"]["classification"] == "past-deadline", d["C02BACK0001"]
    assert [x["serial_number"] for x in t.csv("past-deadline")] == ["C02BACK0001"]
    assert "C02GONE0001" not in [x["serial_number"] for x in t.csv("not-reporting")]
    assert "C02GONE0001" not in [x["serial_number"] for x in t.csv("stuck-downloading")]
    # as of a time before the CheckOut, the device was still enrolled
    r = t.run("report", "--out", "-", "--as-of", "2026-11-24T12:00:00Z", "past-deadline")
    assert r.rc == 0 and "C02GONE0001" in r.out, r
