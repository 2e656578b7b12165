#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_json.c into tests/fuzz/corpus/json/.

Seeds: the four reference captures (minified or trimmed), NDJSON envelope
lines, NanoMDM webhook events (status with a report in Data, tokens), Jamf
status items and update statuses, a declaration, and broken variants
(truncated, too deep, invalid UTF-8, BOM, CRLF, NUL, several values).
Run from the repository root; files are small (< 6 KB each).
"""
import base64
import json
import os
import sys

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "reference", "ddm-status-reports")
OUT = "tests/fuzz/corpus/json"


def line(o):
    return json.dumps(o, separators=(",", ":")) + "\n"


def plist(endpoint, data=None, udid="00008110-8E9082B8BC75F5EB", wrap=True):
    body = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
            "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">",
            "<plist version=\"1.0\">", "<dict>",
            "\t<key>Endpoint</key>", "\t<string>%s</string>" % endpoint]
    if data is not None:
        b = base64.b64encode(data).decode()
        if wrap:  # plist <data> wraps its Base64 in lines of 52 with tabs
            b = "\n" + "".join("\t" + b[i:i + 52] + "\n"
                               for i in range(0, len(b), 52)) + "\t"
        body += ["\t<key>Data</key>", "\t<data>%s</data>" % b]
    body += ["\t<key>EnrollmentID</key>", "\t<string>E&amp;1</string>",
             "\t<key>MessageType</key>",
             "\t<string>DeclarativeManagement</string>",
             "\t<key>UDID</key>", "\t<string>%s</string>" % udid,
             "</dict>", "</plist>", ""]
    return "\n".join(body).encode()


def event(created, pl, topic="mdm.DeclarativeManagement"):
    return {"topic": topic, "event_id": "0f989cfc89eca2b5",
            "created_at": created,
            "checkin_event": {"udid": "00008110-8E9082B8BC75F5EB",
                              "url_params": None,
                              "raw_payload": base64.b64encode(pl).decode()}}


REPORT = {"StatusItems": {
    "device": {"identifier": {"serial-number": "C02FUZZ0001"},
               "model": {"family": "Mac"},
               "operating-system": {"version": "26.0.1", "build-version": "25A362"}},
    "softwareupdate": {"install-state": "downloading",
                       "pending-version": {"os-version": "26.1", "build-version": "25B78"},
                       "failure-reason": {"count": 0}}},
    "Errors": [], "FullReport": True}


def main():
    os.makedirs(OUT, exist_ok=True)
    f = {}
    # the reference captures
    for name in sorted(os.listdir(REF)):
        raw = open(os.path.join(REF, name), "rb").read()
        short = name.split(".")[0][:20]
        if len(raw) < 3000:
            f["ref-%s.json" % short] = raw
        f["ref-%s.min.json" % short] = json.dumps(
            json.loads(raw), separators=(",", ":")).encode()
    rep = json.dumps(REPORT).encode()
    # NDJSON envelopes
    env = [{"received_at": "2026-11-20T10:00:00Z", "enrollment_id": "ENV-1",
            "serial_number": "C02ENV00001", "report": REPORT},
           {"received_at": "2026-11-21T10:00:00.5Z", "enrollment_id": "ENV-1",
            "report": {"StatusItems": {"softwareupdate": {"install-state": "none"}}}}]
    f["envelope.ndjson"] = "".join(line(e) for e in env).encode()
    f["envelope-crlf.ndjson"] = f["envelope.ndjson"].replace(b"\n", b"\r\n")
    f["envelope-blank-lines.ndjson"] = b"\n\n" + line(env[1]).encode() + b"  \n\t\n"
    # NanoMDM webhook events
    f["nanomdm-status.ndjson"] = line(event("2026-11-22T06:04:35.635490538Z",
                                            plist("status", rep))).encode()
    f["nanomdm-status-nowrap.json"] = json.dumps(
        event("2026-11-22T06:04:35Z", plist("status", rep, wrap=False)), indent=1).encode()
    f["nanomdm-tokens.ndjson"] = (line(event("2026-11-22T06:04:40Z", plist("tokens"))) +
                                  line({"topic": "mdm.Authenticate", "event_id": "a",
                                        "created_at": "2026-11-20T09:00:00Z"})).encode()
    f["nanomdm-data-not-json.ndjson"] = line(event(
        "2026-11-22T06:04:35Z", plist("status", b"{\"a\":[1,2}"))).encode()
    f["nanomdm-data-two-values.ndjson"] = line(event(
        "2026-11-22T06:04:35Z", plist("status", b"{} []"))).encode()
    f["nanomdm-no-data.ndjson"] = line(event("2026-11-22T06:04:35Z",
                                             plist("status"))).encode()
    bad = event("2026-11-22T06:04:35Z", plist("status", rep))
    bad["checkin_event"]["raw_payload"] = bad["checkin_event"]["raw_payload"][:-3] + "*=="
    f["nanomdm-bad-base64.ndjson"] = line(bad).encode()
    f["plist-status.xml"] = plist("status", rep)
    f["plist-truncated.xml"] = plist("status", rep)[:300]
    f["plist-selfclosing.xml"] = (b"<dict><key>Endpoint</key><string/>"
                                  b"<key>Data</key><data>e30=</data></dict>")
    # Jamf
    items = {"statusItems": [
        {"key": "device.identifier.serial-number", "value": "C02JAMF0001",
         "lastUpdateTime": "2026-11-21T08:00:00.123"},
        {"key": "softwareupdate.install-state", "value": "downloading",
         "lastUpdateTime": "2026-11-21T08:00:00"}]}
    f["jamf-items.json"] = json.dumps(items, indent=2).encode()
    f["jamf-items-array.json"] = json.dumps([items, items]).encode()
    f["jamf-sus.json"] = json.dumps({"totalCount": 1, "results": [
        {"device": {"deviceId": "101", "objectType": "COMPUTER"},
         "status": "DOWNLOADING", "downloadPercentComplete": 0.4,
         "productKey": "MACOS_26.1_25B78", "updated": "2026-11-21T07:30:00Z"}]}).encode()
    f["declaration.json"] = json.dumps({
        "Type": "com.apple.configuration.softwareupdate.enforcement.specific",
        "Identifier": "decl.su.26-1", "ServerToken": "1",
        "Payload": {"TargetOSVersion": "26.1",
                    "TargetLocalDateTime": "2026-11-24T17:00:00"}}, indent=2).encode()
    # broken and edge variants
    f["bom.json"] = b"\xef\xbb\xbf" + f["jamf-items.json"]
    f["bom.ndjson"] = b"\xef\xbb\xbf" + f["envelope.ndjson"]
    f["truncated.json"] = f["jamf-items.json"][:120]
    f["truncated-string.ndjson"] = b'{"a":"never closed\n{"b":1}\n'
    f["deep-128.json"] = b"[" * 128 + b"]" * 128
    f["deep-129.json"] = b"[" * 129 + b"]" * 129
    f["deep-unclosed.ndjson"] = b"{\"a\":" * 100 + b"\n[]\n"
    f["utf8-invalid.ndjson"] = (b'{"s":"\xc0\x80"}\n{"s":"\xed\xa0\x80"}\n'
                                b'{"s":"\xf5\x80\x80\x80"}\n{"s":"\xe2\x82"}\n'
                                b'{"s":"caf\xc3\xa9 \xf0\x9f\x98\x80"}\n')
    f["utf8-toplevel.ndjson"] = b"\xc3\xa9{}\n"
    f["escapes.ndjson"] = b'{"a":"\\"}\\\\"}\n{"b":"\\u00e9\\\xc3\xa9"}\n'
    f["two-values.ndjson"] = b"{} {}\n[1][2]\n"
    f["not-json.txt"] = b"hello\nworld\n"
    f["nul.ndjson"] = b'{"a":"\x00"}\n\x00{}\n{}\x00\n'
    f["pretty-broken.json"] = b'{\n  "a": [1,\n  "b": 2\n}\n'
    f["close-first.ndjson"] = b"]{}\n}\n"
    f["empty"] = b""
    f["blank"] = b" \n\r\n\t"
    f["no-newline-two-docs"] = b"{}{}"
    for name, data in f.items():
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(data)
    print("%d seeds in %s" % (len(f), OUT), file=sys.stderr)


main()
