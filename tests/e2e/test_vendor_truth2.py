"""Vendor inputs as they really arrive, second pass: reports fed out of
time order, and whether each report row then means what its name says.
Inputs are written here in the shapes README.md documents (the NDJSON
envelope around DDM status reports shaped like Apple's schema and the
captures in tests/fixtures/reference)."""
import json

AS_OF = "2026-11-26T12:00:00Z"
TARGETS = ("platform,group,serial_number,target_os_version,target_build_version,"
           "target_local_datetime,details_url\n"
           "macOS,*,,26.1,,2026-11-24T17:00:00,\n")


def by_serial(rows):
    return {r["serial_number"]: r for r in rows}


def envelope(at, serial, items, full):
    return json.dumps({"received_at": at, "serial_number": serial,
                       "report": {"StatusItems": items, "Errors": [],
                                  "FullReport": full}}) + "\n"


def device(serial, version, build):
    return {"identifier": {"serial-number": serial},
            "operating-system": {"family": "macOS", "version": version,
                                 "build-version": build}}


# ---- DDM reports fed out of time order ---------------------------------

def test_ddm_reports_ingested_out_of_order_keep_what_each_said(t):
    # A collector's backlog arrives a night late: the newer reports were
    # ingested first.  Each older report must still read as what the
    # device said then, not as the newer state: otherwise a Mac that was
    # below its target at the deadline and patched late looks as if it
    # was never behind (missing from patch latency), and a Mac that failed
    # two days ago and has been downloading for 2 hours looks stuck in
    # Downloading for 2 days.
    tg = t.write("targets.csv", TARGETS)
    newer = t.write("newer.ndjson",
        # patched the day after its deadline (2026-11-24 17:00 UTC)
        envelope("2026-11-25T03:00:00Z", "C02LATE0001",
                 {"device": device("C02LATE0001", "26.1", "25B78"),
                  "softwareupdate": {"install-state": "none"}}, True) +
        # downloading since this morning
        envelope("2026-11-26T10:00:00Z", "C02LATE0002",
                 {"device": device("C02LATE0002", "26.0.1", "25A362"),
                  "softwareupdate": {"install-state": "downloading"}}, False) +
        # full report on 26.0.1, then an incremental one: patched
        envelope("2026-11-24T00:00:00Z", "C02LATE0003",
                 {"device": device("C02LATE0003", "26.0.1", "25A362"),
                  "softwareupdate": {"install-state": "downloading"}}, True) +
        envelope("2026-11-25T12:00:00Z", "C02LATE0003",
                 {"device": {"operating-system": {"version": "26.1",
                                                  "build-version": "25B78"}},
                  "softwareupdate": {"install-state": "none"}}, False))
    older = t.write("backlog.ndjson",
        envelope("2026-11-24T01:00:00Z", "C02LATE0001",
                 {"device": device("C02LATE0001", "26.0.1", "25A362"),
                  "softwareupdate": {"install-state": "downloading"}}, True) +
        envelope("2026-11-24T01:00:00Z", "C02LATE0002",
                 {"device": device("C02LATE0002", "26.0.1", "25A362"),
                  "softwareupdate": {"install-state": "failed",
                                     "failure-reason": {
                                         "count": 3, "reason": "Not enough space",
                                         "timestamp": "2026-11-24T00:59:00Z"}}},
                 True) +
        # an incremental report of the install state only: the version
        # then was still 26.0.1 (the report before it), not the 26.1 of
        # the newer report stored first
        envelope("2026-11-24T18:00:00Z", "C02LATE0003",
                 {"softwareupdate": {"install-state": "installing"}}, False))
    t.ok("ingest", tg, newer)
    t.ok("ingest", older)
    t.ok("report", "--as-of", AS_OF, "--out", t.out, "--default-tz", "UTC")
    dev = by_serial(t.csv("devices"))
    assert (dev["C02LATE0001"]["classification"], dev["C02LATE0001"]["status_since"]) == \
        ("compliant", "2026-11-25T03:00:00Z"), dev["C02LATE0001"]
    assert (dev["C02LATE0002"]["classification"], dev["C02LATE0002"]["status"],
            dev["C02LATE0002"]["status_since"]) == \
        ("past-deadline", "Downloading", "2026-11-26T10:00:00Z"), dev["C02LATE0002"]
    assert dev["C02LATE0003"]["classification"] == "compliant", dev["C02LATE0003"]
    # downloading for 2 hours is not stuck (default --stuck-after 24 h)
    assert "C02LATE0002" not in by_serial(t.csv("stuck-downloading"))
    lat = by_serial(t.csv("patch-latency"))
    assert (lat["C02LATE0001"]["first_seen_below"], lat["C02LATE0001"]["patched_at"],
            lat["C02LATE0001"]["state"]) == \
        ("2026-11-24T01:00:00Z", "2026-11-25T03:00:00Z", "patched"), lat
    # patched at 12:00 the next day: after the late report of 18:00, which
    # was still below (the version it had, 26.0.1)
    assert (lat["C02LATE0003"]["first_seen_below"], lat["C02LATE0003"]["patched_at"]) == \
        ("2026-11-24T00:00:00Z", "2026-11-25T12:00:00Z"), lat
    assert lat["C02LATE0002"]["state"] == "open", lat


# ---- Jamf Pro: INSTALLED names the update it installed -------------------

def test_jamf_installed_for_an_older_update_is_not_compliant_with_a_newer_target(t):
    # Jamf Pro's update status (GET /v1/managed-software-updates/
    # update-statuses) says INSTALLED for the update in its productKey.  An
    # Advanced Search exported without the OS version column leaves the
    # version unknown, so the MDM's word is all there is: INSTALLED for
    # macOS 26.0.1 attests 26.0.1, not the 26.1 target past its deadline.
    # INSTALLED for 26.1 itself still counts (the Pass-alone rule).
    inv = t.write("computers.csv",
                  "Computer Name,Serial Number,Last Check-in,Username,Model Identifier,"
                  "JSS Computer ID\n"
                  "Lena's MacBook Pro,C02JAMFC001,2026-11-25 18:04:11,lena,\"Mac15,3\",1\n"
                  "Omar's MacBook Air,C02JAMFC002,2026-11-25 19:30:00,omar,\"Mac14,2\",2\n")

    def status(did, key):
        return {"osUpdatesStatusId": did, "device": {"deviceId": did, "objectType": "COMPUTER"},
                "downloaded": True, "downloadPercentComplete": 1.0, "productKey": key,
                "status": "INSTALLED", "deferralsRemaining": 0, "maxDeferrals": 0,
                "nextScheduledInstall": None, "pastNotifications": [],
                "created": "2026-11-20T08:00:00.000Z", "updated": "2026-11-25T09:00:00.000Z"}
    st = t.write("update-statuses.json", json.dumps(
        {"totalCount": 2, "results": [status("1", "MACOS_26.0.1_25A362"),
                                      status("2", "MACOS_26.1_25B78")]}, indent=2))
    tg = t.write("targets.csv", TARGETS)
    t.ok("run", "--as-of", AS_OF, "--out", t.out, "--default-tz", "UTC", inv, tg, st)
    dev = by_serial(t.csv("devices"))
    lena, omar = dev["C02JAMFC001"], dev["C02JAMFC002"]
    assert (lena["classification"], lena["status_raw"], lena["os_version"]) == \
        ("past-deadline", "INSTALLED", ""), lena
    assert "26.0.1" in lena["notes"], lena
    assert omar["classification"] == "compliant", omar
    assert set(by_serial(t.csv("past-deadline"))) == {"C02JAMFC001"}


# ---- A target that names one device -------------------------------------

def test_serial_target_reaches_its_device_across_ios_and_ipados(t):
    # Apple's enforcement declaration has one platform, iOS, for iPhones
    # and iPads alike (reference/apple-schema: supportedOS iOS, no
    # iPadOS), so an admin writes "iOS" for an iPad's serial; exports call
    # the device iPadOS (its model, iPad13,1).  A row that names the serial
    # names the device: past its deadline, never no-target.  Likewise a
    # Jamf Pro plan for a mobile device whose Advanced Search had no model
    # column (the plan's platform unknown when it was read) still applies
    # once a status report says the device is an iPhone.
    inv = t.write("inventory.csv",
                  "serial_number,device_name,platform,model,time_zone,os_version\n"
                  "DMPIPAD0001,Ana's iPad,iPadOS,\"iPad13,1\",UTC,18.6\n")
    tg = t.write("targets.csv",
                 "platform,group,serial_number,target_os_version,target_build_version,"
                 "target_local_datetime,details_url\n"
                 "iOS,,DMPIPAD0001,18.7,,2026-11-20T09:00:00,\n")
    jinv = t.write("mobile.csv",
                   "Mobile Device Name,Serial Number,iOS Version,Last Inventory Update,"
                   "Username,Jamf Pro Mobile Device ID\n"
                   "Lena's iPhone,DMPJAMFM001,26.0.1,2026-11-25 18:10:00,lena,1\n")
    plans = t.write("plans.json", json.dumps({"totalCount": 1, "results": [{
        "planUuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c52",
        "device": {"deviceId": "1", "objectType": "MOBILE_DEVICE",
                   "href": "/v2/mobile-devices/1"},
        "updateAction": "DOWNLOAD_INSTALL_SCHEDULE", "versionType": "SPECIFIC_VERSION",
        "specificVersion": "26.1", "buildVersion": "23B85", "maxDeferrals": 0,
        "forceInstallLocalDateTime": "2026-11-25T09:00:00", "recipeId": "1",
        "status": {"state": "DDMPlanScheduled", "errorReasons": []}}]}, indent=2))
    st = t.write("status.csv",
                 "serial_number,status,reported_at,platform,os_version\n"
                 "DMPJAMFM001,Downloading,2026-11-26T08:00:00Z,iOS,26.0.1\n")
    t.ok("ingest", inv, tg, jinv, plans)
    t.ok("run", "--as-of", AS_OF, "--out", t.out, "--default-tz", "UTC", st)
    dev = by_serial(t.csv("devices"))
    ipad, iphone = dev["DMPIPAD0001"], dev["DMPJAMFM001"]
    assert (ipad["platform"], ipad["classification"], ipad["target_scope"],
            ipad["target_os_version"]) == ("iPadOS", "past-deadline", "serial", "18.7"), ipad
    assert (iphone["platform"], iphone["classification"], iphone["target_scope"],
            iphone["target_os_version"]) == ("iOS", "past-deadline", "serial", "26.1"), iphone
    assert set(by_serial(t.csv("past-deadline"))) == {"DMPIPAD0001", "DMPJAMFM001"}


def test_ddm_backlog_with_the_device_facts_gives_the_platform(t):
    # Incremental DDM reports carry only what changed: a night's log may
    # hold a device's "downloading" alone, while the full report with its
    # family, model and version sits in a backlog fed a night later.  The
    # device is a Mac on 26.0.1 past its macOS 26.1 deadline, never a
    # device of no platform with no target.
    tg = t.write("targets.csv", TARGETS)
    newer = t.write("tonight.ndjson",
                    envelope("2026-11-26T10:00:00Z", "C02LATE0004",
                             {"softwareupdate": {"install-state": "downloading"}}, False))
    older = t.write("backlog.ndjson",
                    envelope("2026-11-24T01:00:00Z", "C02LATE0004",
                             {"device": dict(device("C02LATE0004", "26.0.1", "25A362"),
                                             model={"identifier": "Mac15,3"}),
                              "softwareupdate": {"install-state": "downloading"}}, True))
    t.ok("ingest", tg, newer)
    t.ok("ingest", older)
    t.ok("report", "--as-of", AS_OF, "--out", t.out, "--default-tz", "UTC")
    d = by_serial(t.csv("devices"))["C02LATE0004"]
    assert (d["platform"], d["model"], d["classification"], d["os_version"],
            d["target_os_version"], d["status_since"]) == \
        ("macOS", "Mac15,3", "past-deadline", "26.0.1", "26.1", "2026-11-24T01:00:00Z"), d
    assert set(by_serial(t.csv("past-deadline"))) == {"C02LATE0004"}


def test_jamf_plan_canceled_after_the_platform_became_known_is_gone(t):
    # A Jamf Pro plan for a mobile device read while its Advanced Search
    # had no model column is stored for that serial with no platform; the
    # next inventory names the model (an iPad); then Jamf cancels the plan
    # (status.state PlanCanceled).  The file names the serial, so the
    # serial's old deadline goes, whatever platform each file knew: the
    # iPad is not past a deadline that no longer exists.
    jinv = t.write("mobile.csv",
                   "Mobile Device Name,Serial Number,iOS Version,Last Inventory Update,"
                   "Username,Jamf Pro Mobile Device ID\n"
                   "Ana's iPad,DMPJAMFM002,26.0.1,2026-11-25 18:10:00,ana,2\n")
    jinv2 = t.write("mobile-with-model.csv",
                    "Mobile Device Name,Serial Number,iOS Version,Last Inventory Update,"
                    "Username,Model Identifier,Jamf Pro Mobile Device ID\n"
                    "Ana's iPad,DMPJAMFM002,26.0.1,2026-11-26 08:10:00,ana,\"iPad13,1\",2\n")

    def plans(state):
        return json.dumps({"totalCount": 1, "results": [{
            "planUuid": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a81",
            "device": {"deviceId": "2", "objectType": "MOBILE_DEVICE",
                       "href": "/v2/mobile-devices/2"},
            "updateAction": "DOWNLOAD_INSTALL_SCHEDULE", "versionType": "SPECIFIC_VERSION",
            "specificVersion": "26.1", "buildVersion": "23B85", "maxDeferrals": 0,
            "forceInstallLocalDateTime": "2026-11-25T09:00:00", "recipeId": "1",
            "status": {"state": state, "errorReasons": []}}]}, indent=2)
    scheduled = t.write("plans.json", plans("DDMPlanScheduled"))
    canceled = t.write("plans-canceled.json", plans("PlanCanceled"))
    t.ok("ingest", jinv, scheduled)
    t.ok("report", "--as-of", AS_OF, "--out", t.out, "--default-tz", "UTC")
    d = by_serial(t.csv("devices"))["DMPJAMFM002"]
    assert (d["classification"], d["target_scope"]) == ("past-deadline", "serial"), d
    t.ok("ingest", jinv2, canceled)
    t.ok("report", "--as-of", AS_OF, "--out", t.out, "--default-tz", "UTC")
    d = by_serial(t.csv("devices"))["DMPJAMFM002"]
    assert (d["platform"], d["classification"], d["target_os_version"]) == \
        ("iPadOS", "no-target", ""), d
    assert not t.csv("past-deadline")
