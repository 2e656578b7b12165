#!/usr/bin/python3
"""gen_fixtures.py - JSON input fixtures for tests/e2e/test_ddm.py.

Every fixture is built here from Python data (no hand-edited blobs), written
into a directory given on the command line or by the tests through
write_all(dest).  Deterministic: no clock, no randomness.

  raw/            raw DDM status reports (KMFDDM capture names, a folder
                  <enrollment-id>/status.last.json, an incremental report)
  envelope.ndjson NDJSON with {received_at, enrollment_id, serial_number?, report}
  webhook.ndjson  NanoMDM webhook events (status, tokens endpoint, other topic)
  jamf-items.json Jamf Pro DDM status items (one document, an array, NDJSON)
  jamf-sus.json   Jamf Pro managed software update statuses
  declaration.json the enforcement declaration as a target
  inventory.csv / targets.csv  what the above refer to
  bad/            one file per bad-input case
"""
import base64
import json
import os
import sys

ENR = "A047820F-FC6B-4104-BED0-466876D82BB8"


def report(serial=None, version=None, extra=None, build=None, sup_build=None,
           state=None, pending=None, failure=None, reasons=None, configs=None,
           errors=None, full=None, udid=None, model=None):
    items = {}
    dev = {}
    if serial or udid:
        dev["identifier"] = {k: v for k, v in (("serial-number", serial), ("udid", udid)) if v}
    if model:
        dev["model"] = {"identifier": model}
    osv = {}
    if version:
        osv["version"] = version
        osv["family"] = "macOS"
    if build:
        osv["build-version"] = build
    sup = {k: v for k, v in (("extra-version", extra), ("build-version", sup_build)) if v}
    if sup:
        osv["supplemental"] = sup
    if osv:
        dev["operating-system"] = osv
    if dev:
        items["device"] = dev
    su = {}
    if state:
        su["install-state"] = state
    if pending is not None:
        su["pending-version"] = pending
    if failure is not None:
        su["failure-reason"] = failure
    if reasons is not None:
        su["install-reason"] = reasons
    if su:
        items["softwareupdate"] = su
    if configs is not None:
        items["management"] = {"declarations": {"activations": [], "assets": [],
                                                "management": [], "configurations": configs}}
    doc = {"StatusItems": items, "Errors": errors or []}
    if full is not None:
        doc["FullReport"] = full
    return doc


def plist(endpoint, data=None, udid="UDID-WH-1"):
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
             '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
             '<plist version="1.0">', "<dict>",
             "\t<key>Endpoint</key>", "\t<string>%s</string>" % endpoint,
             "\t<key>MessageType</key>", "\t<string>DeclarativeManagement</string>",
             "\t<key>UDID</key>", "\t<string>%s</string>" % udid]
    if data is not None:
        b = base64.b64encode(data).decode()
        parts += ["\t<key>Data</key>", "\t<data>"]
        parts += ["\t%s" % b[i:i + 68] for i in range(0, len(b), 68)]
        parts += ["\t</data>"]
    parts += ["</dict>", "</plist>", ""]
    return "\n".join(parts).encode()


def event(topic, created, payload=None, udid="UDID-WH-1"):
    ev = {"topic": topic, "event_id": "e-" + created, "created_at": created}
    if payload is not None:
        ev["checkin_event"] = {"udid": udid, "url_params": None,
                               "raw_payload": base64.b64encode(payload).decode()}
    return ev


def line(obj):
    return json.dumps(obj, separators=(",", ":")) + "\n"


def files():
    """{relative path: bytes}."""
    f = {}
    # raw reports: a full report with the serial, then an incremental one
    # named by enrollment id only (identity learned), then a folder capture.
    f["raw/%s.20261120-080000.000001.status.json" % ENR] = json.dumps(report(
        serial="C02RAW00001", udid=ENR, version="26.0.1", build="25A362", state="downloading",
        pending={"os-version": "26.1", "build-version": "25B78",
                 "target-local-date-time": "2026-11-22T09:00:00"},
        failure={"count": 0}, reasons={"reason": ["declaration"], "declaration-id": "decl.su.26-1"},
        configs=[{"identifier": "decl.su.26-1", "active": True, "valid": "valid",
                  "server-token": "1"}],
        full=True, model="Mac15,3"), indent=2).encode()
    f["raw/%s.20261121-080000.000002.status.json" % ENR] = json.dumps(report(
        state="failed", failure={"count": 2, "reason": "Not enough space",
                                 "timestamp": "2026-11-21T07:59:00Z"},
        configs=[{"identifier": "decl.su.26-1", "active": True, "valid": "invalid",
                  "server-token": "1",
                  "reasons": [{"code": "Error.ConfigurationCannotBeApplied",
                               "description": "Configuration cannot be applied",
                               "details": {"Error": "An internal error has occurred."}}]}],
        errors=[{"StatusItem": "softwareupdate.install-state",
                 "Reasons": [{"Code": "Error.Internal", "Description": "x"}]}],
        full=False), indent=2).encode()
    f["raw/ENR-FOLDER-1/status.last.json"] = json.dumps(report(
        serial="C02FOLDER01", version="26.1", extra="(a)", build="25B78",
        sup_build="25B78a", state="none")).encode()

    # NDJSON envelope: serial from the envelope, then enrollment only
    env = [
        {"received_at": "2026-11-20T10:00:00Z", "enrollment_id": "ENV-1",
         "serial_number": "C02ENV00001",
         "report": report(version="26.0.1", state="downloading", full=True)},
        {"received_at": "2026-11-21T10:00:00.5Z", "enrollment_id": "ENV-1",
         "report": report(state="prepared")},
        {"received_at": "2026-11-22T10:00:00+09:00", "enrollment_id": "ENV-1",
         "report": report(version="26.1", extra="a", state="none")},
    ]
    f["envelope.ndjson"] = "".join(line(e) for e in env).encode()

    # webhook log
    rep = json.dumps(report(serial="C02HOOK0001", version="26.0.1", state="downloading",
                            full=True)).encode()
    rep2 = json.dumps(report(state="installing")).encode()
    wh = [
        {"topic": "mdm.Authenticate", "event_id": "a", "created_at": "2026-11-20T09:00:00Z"},
        event("mdm.DeclarativeManagement", "2026-11-20T09:00:01Z", plist("tokens")),
        event("mdm.DeclarativeManagement", "2026-11-20T09:00:02Z", plist("status", rep)),
        event("mdm.DeclarativeManagement", "2026-11-21T09:00:02Z", plist("status", rep2)),
    ]
    f["webhook.ndjson"] = "".join(line(e) for e in wh).encode()

    # Jamf DDM status items: one document, then an array of two, then NDJSON
    def items(serial, state, ver, t):
        return {"statusItems": [
            {"key": "device.identifier.serial-number", "value": serial, "lastUpdateTime": t},
            {"key": "device.operating-system.version", "value": ver, "lastUpdateTime": t},
            {"key": "softwareupdate.install-state", "value": state, "lastUpdateTime": t},
            {"key": "softwareupdate.pending-version.os-version", "value": "26.1",
             "lastUpdateTime": t},
        ]}
    f["jamf/items-one.json"] = json.dumps(items("C02JAMF0001", "downloading", "26.0.1",
                                                "2026-11-21T08:00:00.123"), indent=2).encode()
    f["jamf/items-array.json"] = json.dumps([
        items("C02JAMF0002", "installing", "26.0.1", "2026-11-21T08:00:00"),
        items("C02JAMF0003", "none", "26.1", "2026-11-21T08:00:00")]).encode()
    f["jamf/items.ndjson"] = (line(items("C02JAMF0004", "waiting", "26.0.1",
                                         "2026-11-21T08:00:00")) +
                              line(items("C02JAMF0005", "prepared", "26.0.1",
                                         "2026-11-21T08:00:00"))).encode()
    f["jamf/sus.json"] = json.dumps({"totalCount": 3, "results": [
        {"device": {"deviceId": "101", "objectType": "COMPUTER"}, "status": "DOWNLOADING",
         "downloadPercentComplete": 0.4, "downloaded": False,
         "productKey": "MACOS_26.1_25B78", "created": "2026-11-21T07:00:00Z",
         "updated": "2026-11-21T07:30:00Z"},
        {"device": {"deviceId": 102, "objectType": "COMPUTER"},
         "status": "DOWNLOAD_INSUFFICIENT_SPACE", "downloadPercentComplete": 0,
         "downloaded": False, "productKey": "MACOS_26.1_25B78",
         "created": "2026-11-21T07:00:00Z", "updated": "2026-11-21T07:40:00Z"},
        {"device": {"deviceId": "999", "objectType": "COMPUTER"}, "status": "IDLE",
         "created": "2026-11-21T07:00:00Z", "updated": "2026-11-21T07:40:00Z"},
    ]}, indent=2).encode()
    f["inventory.csv"] = ("serial_number,device_name,group,platform,model,time_zone,jamf_id\n"
                          "C02SUS00101,sus-1,Eng,macOS,\"Mac15,3\",UTC,101\n"
                          "C02SUS00102,sus-2,Eng,macOS,\"Mac15,3\",UTC,102\n"
                          "C02RAW00001,raw-1,Eng,macOS,\"Mac15,3\",UTC,\n"
                          "C02DECL0001,decl-1,Eng,macOS,\"Mac15,3\",UTC,\n").encode()
    f["declaration.json"] = json.dumps({
        "Type": "com.apple.configuration.softwareupdate.enforcement.specific",
        "Identifier": "decl.su.26-1", "ServerToken": "1",
        "Payload": {"TargetOSVersion": "26.1", "TargetBuildVersion": "25B78",
                    "TargetLocalDateTime": "2026-11-24T17:00:00",
                    "DetailsURL": "https://example.com/26.1"}}, indent=2).encode()
    # a device that lists the declaration, and one that does not
    f["decl-reports.ndjson"] = (
        line({"received_at": "2026-11-23T10:00:00Z", "enrollment_id": "D1",
              "serial_number": "C02DECL0001",
              "report": report(version="26.0.1", state="downloading",
                               configs=[{"identifier": "decl.su.26-1", "active": True}])}) +
        line({"received_at": "2026-11-23T10:00:00Z", "enrollment_id": "D2",
              "serial_number": "C02DECL0002",
              "report": report(version="26.0.1", state="downloading", model="Mac15,3",
                               configs=[{"identifier": "other", "active": True}])})).encode()

    # bad inputs
    good = json.dumps(report(serial="C02BAD00001", version="26.0.1", state="none"))
    f["bad/truncated.json"] = good[:len(good) // 2].encode()
    f["bad/no-identity.json"] = json.dumps(report(version="26.0.1", state="none")).encode()
    f["bad/webhook-bad-b64.ndjson"] = line(
        {"topic": "mdm.DeclarativeManagement", "created_at": "2026-11-20T09:00:00Z",
         "checkin_event": {"udid": "U", "raw_payload": "not base64 !!"}}).encode()
    f["bad/webhook-no-data.ndjson"] = line(
        event("mdm.DeclarativeManagement", "2026-11-20T09:00:00Z", plist("status"))).encode()
    f["bad/invalid-utf8.ndjson"] = (line({"received_at": "2026-11-20T10:00:00Z",
                                          "serial_number": "C02GOOD0001",
                                          "report": report(version="26.0.1")}).encode() +
                                    b'{"received_at":"2026-11-20T10:00:00Z","serial_number":"\xff\xfe",'
                                    b'"report":{"StatusItems":{}}}\n')
    f["bad/deep.json"] = b"[" * 100000 + b"]" * 100000
    f["bad/unknown.json"] = b'{"hello": "world"}'
    return f


def write_all(dest):
    for rel, data in files().items():
        p = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(data)
    # raw reports without a time in their name take the file's mtime
    os.utime(os.path.join(dest, "raw/ENR-FOLDER-1/status.last.json"), (1795600000, 1795600000))
    return dest


def write_huge_line(path, size):
    """An NDJSON file: a good line, a `size`-byte line, a good line.  Written
    in blocks so the generator itself stays small in memory."""
    good = line({"received_at": "2026-11-20T10:00:00Z", "serial_number": "C02HUGE0001",
                 "report": report(version="26.0.1")}).encode()
    good2 = line({"received_at": "2026-11-21T10:00:00Z", "serial_number": "C02HUGE0001",
                  "report": report(version="26.1")}).encode()
    block = b'{"x":"' + b"a" * (1 << 20)
    with open(path, "wb") as fh:
        fh.write(good)
        left = size
        while left > 0:
            chunk = block[:left] if left < len(block) else block
            fh.write(chunk)
            left -= len(chunk)
        fh.write(b"\n")
        fh.write(good2)


if __name__ == "__main__":
    write_all(sys.argv[1] if len(sys.argv) > 1 else "fixtures")
