#!/usr/bin/python3
"""gen_samples.py - generate ddmreport's sample fleet and its oracle.

Writes, deterministically (fixed seed, no wall clock):

  samples/inventory.csv                          canonical inventory
  samples/targets.csv                            canonical targets
  samples/status/kandji-2026-11-2N.csv           Kandji reporting-script exports (CRLF):
                                                 Managed OS items and other library items
  samples/status/mdm-export-2026-11-2N.csv       canonical status exports (LF)
  samples/status/mdm-export-2026-11-26-midday.csv  a late export at 12:10Z
  samples/status/nanomdm-webhook-2026-11-2N.ndjson NanoMDM webhook log, one per UTC day
  samples/status/ddm-reports/*.status.json       raw DDM status reports (KMFDDM captures)
  tests/expected/samples-classification.csv      the oracle

The fleet is a list of hand-written device *stories* (each exercising one rule,
with the classification it must get) plus randomly generated *filler* devices.
Some Macs and iPhones of the second MDM are managed by NanoMDM + KMFDDM instead:
their reports are written only as DDM status reports (webhook log or raw
captures), never to the CSV exports.
Every device has a true OS-version timeline; the exports and the inventory are
views of it, so the files are coherent with one another.

The oracle (classify()) re-reads the written files and applies the rules of
the design brief directly, so it checks the files as they are on disk.  The
generator then asserts that every story got the classification it was written
for and that every classification and enforcement value occurs.

Usage: gen_samples.py [--root DIR] [--check]
  --root   repository root (default: the parent of this script's directory)
  --check  generate into a temporary directory and compare with the files in
           the repository; exit 1 when they differ
"""

import argparse
import base64
import csv
import filecmp
import io
import json
import os
import plistlib
import random
import re
import shutil
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
SEED = 20261126
AS_OF = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
STUCK_AFTER = timedelta(hours=24)
STALE_AFTER = timedelta(days=7)
DUE_WITHIN = timedelta(hours=24)
ENFORCEMENT_HOUR = timedelta(minutes=60)

# Status reports of day D are exported the next night at about 01:00Z.
REPORT_DAYS = [22, 23, 24, 25]
INVENTORY_EXPORTED = datetime(2026, 11, 26, 6, 0, 0, tzinfo=UTC)
MIDDAY_EXPORTED = datetime(2026, 11, 26, 12, 10, 0, tzinfo=UTC)

INVENTORY_HEADER = ["serial_number", "device_name", "user", "group", "platform",
                    "model", "time_zone", "last_check_in", "os_version"]
TARGETS_HEADER = ["platform", "group", "serial_number", "target_os_version",
                  "target_build_version", "target_local_datetime", "details_url"]
KANDJI_HEADER = ["serial_number", "device_name", "blueprint_name", "name", "status",
                 "type", "reported_at", "last_audit_log", "log"]
MDM_HEADER = ["serial_number", "status", "reported_at", "device_name", "user", "group",
              "platform", "model", "os_version", "build_version", "extra_version",
              "target_os_version", "target_build_version", "target_local_datetime",
              "time_zone", "failure_count", "failure_reason"]

# Groups whose Macs and iPads are managed by Kandji; everything else (and every
# iPhone) comes from the second MDM as canonical status CSV.
KANDJI_GROUPS = {"Engineering", "Finance", "Executives"}

TARGETS = [
    # platform, group, serial, version, build, local deadline, details URL
    ("macOS", "*", "", "26.0.1", "25A362", "2026-11-10T17:00:00",
     "https://it.example.com/updates/macos-26-0-1"),
    ("macOS", "*", "", "26.1", "25B78", "2026-11-25T17:00:00",
     "https://it.example.com/updates/macos-26-1"),
    ("macOS", "Engineering", "", "26.1", "25B78", "2026-11-24T09:00:00",
     "https://it.example.com/updates/macos-26-1-engineering"),
    # the serial-scoped row is filled in with the executive's serial below
    ("macOS", "", "@exec-mac-serial-target-stuck", "26.1", "", "2026-12-01T12:00:00", ""),
    ("iOS", "*", "", "26.1", "23B85", "2026-11-27T09:00:00",
     "https://it.example.com/updates/ios-26-1"),
    ("iPadOS", "Engineering", "", "26.1", "23B85", "2026-12-04T18:00:00", ""),
    ("iPadOS", "Sales", "", "26.1", "23B85", "2026-12-04T18:00:00",
     "https://it.example.com/updates/ipados-26-1"),
    ("iPadOS", "Support", "", "26.1", "23B85", "2026-12-04T18:00:00", ""),
    ("iPadOS", "Finance", "", "26.1", "23B85", "2026-12-04T18:00:00", ""),
    ("iPadOS", "Executives", "", "26.1", "23B85", "2026-12-04T18:00:00", ""),
    # no iPadOS row for Retail Kiosks: kiosk iPads are updated by the stores
]

BUILDS = {
    ("macOS", "26.1"): "25B78", ("macOS", "26.0.1"): "25A362",
    ("macOS", "15.7.2"): "24G325", ("macOS", "26.1 (a)"): "25B78a",
    ("iOS", "26.1"): "23B85", ("iOS", "26.0.1"): "23A355", ("iOS", "18.7.2"): "22H124",
}

MODEL_NAMES = {
    "Mac14,2": "MacBook Air", "Mac15,3": "MacBook Pro", "Macmini9,1": "Mac mini",
    "iMac24,1": "iMac", "Mac16,10": "Mac mini", "MacBookPro15,2": "MacBook Pro",
    "iPhone15,2": "iPhone 14 Pro", "iPhone16,1": "iPhone 15 Pro",
    "iPhone17,3": "iPhone 16", "iPhone11,8": "iPhone XR",
    "iPad13,18": "iPad", "iPad14,3": "iPad Pro", "iPad7,11": "iPad",
}
# models whose serials use Apple's older 12-character scheme
OLD_SERIAL_PREFIX = {"MacBookPro15,2": "C02", "Macmini9,1": "C07", "iMac24,1": "C02",
                     "iPhone11,8": "F17", "iPad7,11": "DMP"}
SERIAL_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # Apple avoids I and O

ZONES = [("America/Los_Angeles", 20), ("America/New_York", 20), ("Europe/London", 12),
         ("Europe/Berlin", 12), ("Asia/Tokyo", 12), ("Australia/Sydney", 10),
         ("Asia/Kolkata", 14)]
GROUPS = [("Engineering", 28), ("Sales", 26), ("Support", 20), ("Finance", 14),
          ("Executives", 6)]
STORES = [("Store 01", "America/Los_Angeles"), ("Store 02", "America/New_York"),
          ("Store 03", "Europe/London"), ("Store 04", "Europe/Berlin"),
          ("Store 05", "Asia/Tokyo"), ("Store 06", "Australia/Sydney")]

FIRST_NAMES = (
    "Aiko Hiro Yuki Kenji Sakura Haruto Priya Arjun Ananya Rohan Kavya Vikram Lukas "
    "Lena Jonas Mia Felix Hanna Zoë Chloé Théo Léa Emma Noah Olivia Liam Ava Ethan "
    "Sophia Mason Isabella Lucas Amelia Oliver Charlotte Jack Grace Harry Isla George "
    "Freya José María Lucía Mateo Sofía Diego Søren Ingrid Mikkel Astrid Björn Siobhan "
    "Declan Aoife Ciarán Niamh Chen Wei Mei Jun Li Min-jun Seo-yeon Ji-ho Amara Kwame "
    "Chidi Nia Tariq Layla Omar Yasmin Mateus Beatriz Rafael Camila Jakub Zuzana "
    "Tomasz Agnieszka Elif Emre Zeynep Dmitri Anya Ivan Noor Samir Fatima Kai Leilani "
    "Mele Tane Aroha Wiremu Ruby Jasper Ivy Hugo Elena Marco Giulia Luca Chiara").split()
LAST_NAMES = (
    "Tanaka Suzuki Sato Watanabe Sharma Patel Iyer Reddy Becker Müller Schmidt Wagner "
    "Martin Bernard Dubois Smith Johnson Williams Brown Jones Taylor Davies Evans "
    "García Fernández López Nielsen Hansen Lindqvist O'Brien Murphy Kelly Chen Wang "
    "Liu Kim Park Lee Okafor Mensah Haddad Khan Silva Costa Novák Kowalski Yılmaz "
    "Ivanova Rahman Nakamura Kealoha Ngata Walker Rossi Bianchi Ferrari Romano").split()

KANDJI_AUDIT = {
    "PENDING": "Enforcement scheduled",
    "DOWNLOADING": "Downloading update",
    "CACHED": "Update downloaded, waiting to install",
    "INSTALLING": "Installing update",
    "PASS": "Device is on the required version",
    "ERROR": "Update failed",
    "INCOMPATIBLE": "Device is not eligible for this update",
    "EXCLUDED": "Device is excluded from this library item",
}
FAILURE_REASONS = ["Not enough free disk space", "Download failed: network connection lost",
                   "Installation failed: battery level too low",
                   "The update could not be verified"]

# Per-device spellings of the canonical statuses (real exports differ).
DIALECTS = {
    "title": {"Pending": "Pending", "Downloading": "Downloading", "Cached": "Cached",
              "Installing": "Installing", "Pass": "Pass", "Error": "Error"},
    "lower": {"Pending": "pending", "Downloading": "downloading", "Cached": "cached",
              "Installing": "installing", "Pass": "pass", "Error": "error"},
    # DDM softwareupdate.install-state words; after an install the state is "none"
    "ddm": {"Pending": "waiting", "Downloading": "downloading", "Cached": "prepared",
            "Installing": "installing", "Pass": "none", "Error": "failed"},
}


def utc(s):
    """'2026-11-25T20:00:00Z' -> aware datetime."""
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


# --------------------------------------------------------------------------
# The device model

class Report:
    """One exported status observation."""

    def __init__(self, at, status, version=None, offset=None, failure_reason="",
                 failure_count=""):
        self.at = at                          # aware datetime, UTC
        self.status = status                  # raw status text as exported
        self.version = version                # OS version at that time (None = from timeline)
        self.offset = offset                  # write reported_at in this zone (canonical only)
        self.failure_reason = failure_reason
        self.failure_count = failure_count


class Device:
    def __init__(self, **kw):
        self.key = kw.get("key", "")                     # story key, "" for filler
        self.story = kw.get("story", "")                 # one line for the README/report
        self.expect = kw.get("expect")                   # (classification, enforcement)
        self.platform = kw["platform"]
        self.platform_in_inventory = kw.get("platform_in_inventory", True)
        self.group = kw["group"]
        self.zone = kw.get("zone", "")                   # inventory time_zone
        self.status_zone = kw.get("status_zone", "")     # time_zone in canonical rows
        self.model = kw["model"]
        self.name = kw.get("name", "")
        self.user = kw.get("user", "")
        self.source = kw.get("source") or (
            "kandji" if self.platform != "iOS" and self.group in KANDJI_GROUPS else "mdm")
        self.dialect = kw.get("dialect", "title")
        self.v0 = kw["v0"]                               # version before the window
        self.v1 = kw.get("v1")                           # version after the update
        self.updated_at = kw.get("updated_at")           # when v0 became v1
        self.reports = kw.get("reports", [])
        self.last_check_in = kw.get("last_check_in", "auto")  # datetime, None or "auto"
        self.check_in_by = kw.get("check_in_by")         # latest an "auto" check-in may be
        self.inventory_version = kw.get("inventory_version", "auto")
        self.device_target = kw.get("device_target")     # (version, build, wall) or None
        self.offset_zone = kw.get("offset_zone")         # write reported_at with this offset
        self.serial = ""
        self.ddm = ""                                    # "webhook", "raw" or "" (CSV)
        self.enrollment = ""                             # DDM enrollment id (UDID)

    def version_at(self, t):
        if self.updated_at is not None and t >= self.updated_at:
            return self.v1
        return self.v0


def make_serial(rng, model, used):
    while True:
        prefix = OLD_SERIAL_PREFIX.get(model)
        if prefix:
            s = prefix + "".join(rng.choice(SERIAL_ALPHABET) for _ in range(9))
        else:
            s = "".join(rng.choice(SERIAL_ALPHABET) for _ in range(10))
            if s[0].isdigit():
                continue
        if s not in used:
            used.add(s)
            return s


def rng_apostrophe(first):
    # Apple's own default names use the typographic apostrophe; hand-typed ones don't.
    return "\u2019" if sum(map(ord, first)) % 3 else "'"


TRANSLIT = str.maketrans({"\u00f8": "o", "\u00d8": "O", "\u00df": "ss", "\u0131": "i",
                          "'": ""})


def email(first, last):
    def ascii_(s):
        s = unicodedata.normalize("NFKD", s.translate(TRANSLIT))
        return "".join(c for c in s if c.isalnum() and ord(c) < 128).lower()
    return "%s.%s@example.com" % (ascii_(first), ascii_(last))


# --------------------------------------------------------------------------
# Stories: each device below exercises one rule.

def R(at, status, version=None, **kw):
    return Report(utc(at), status, version, **kw)


def stories():
    s = []

    def add(key, story, expect, **kw):
        s.append(Device(key=key, story=story, expect=expect, **kw))

    # Same macOS `*` target (2026-11-25T17:00 local), Tokyo vs Los Angeles.
    add("tokyo-mac-failed", "Tokyo Mac, reports 18:12 JST on the deadline day, still 26.0.1",
        ("past-deadline", "enforcement-failed"),
        platform="macOS", group="Sales", zone="Asia/Tokyo", model="Mac15,3",
        name="Aiko\u2019s MacBook Pro", user="aiko.tanaka@example.com", v0="26.0.1",
        offset_zone="Asia/Tokyo",
        reports=[R("2026-11-22T03:10:41Z", "Cached"), R("2026-11-23T02:45:09Z", "Cached"),
                 R("2026-11-24T05:30:55Z", "Installing"), R("2026-11-25T09:12:30Z", "Installing")])
    add("la-mac-offline", "Los Angeles Mac, same target and report pattern: last report 13:40 PST, before its deadline",
        ("past-deadline", "offline-at-deadline"),
        platform="macOS", group="Sales", zone="America/Los_Angeles", model="Mac14,2",
        name="Olivia's MacBook Air", user="olivia.walker@example.com", v0="26.0.1",
        last_check_in=utc("2026-11-25T21:50:12Z"),
        reports=[R("2026-11-22T18:10:02Z", "Cached"), R("2026-11-23T19:45:47Z", "Cached"),
                 R("2026-11-24T17:30:19Z", "Installing"), R("2026-11-25T21:40:33Z", "Installing")])
    # Same iOS `*` target (2026-11-27T09:00 local), Tokyo vs Los Angeles.
    add("tokyo-iphone-due-soon", "Tokyo iPhone, deadline 2026-11-27T00:00Z is within 24 h",
        ("due-soon", ""),
        platform="iOS", group="Sales", zone="Asia/Tokyo", model="iPhone16,1",
        name="Aiko\u2019s iPhone", user="aiko.tanaka@example.com", v0="26.0.1",
        offset_zone="Asia/Tokyo",
        reports=[R("2026-11-22T04:02:11Z", "Pending"), R("2026-11-23T03:15:38Z", "Pending"),
                 R("2026-11-24T06:44:20Z", "Pending"), R("2026-11-25T05:21:07Z", "Pending")])
    add("la-iphone-in-progress", "Los Angeles iPhone, deadline 2026-11-27T17:00Z is 29 h away",
        ("in-progress", ""),
        platform="iOS", group="Sales", zone="America/Los_Angeles", model="iPhone16,1",
        name="Olivia's iPhone", user="olivia.walker@example.com", v0="26.0.1",
        reports=[R("2026-11-22T19:02:11Z", "Pending"), R("2026-11-23T20:15:38Z", "Pending"),
                 R("2026-11-24T18:44:20Z", "Pending"), R("2026-11-25T22:21:07Z", "Pending")])
    # Enforcement hour: first report after the deadline is < 60 min before as-of.
    # Off overnight: no check-in after the deadline either (a check-in after
    # it is a sign of life too, and would start the hour then).
    add("la-mac-enforcement-hour", "Los Angeles Mac off overnight, first report after its deadline at 11:31Z (midday export)",
        ("past-deadline", "enforcement-hour"),
        platform="macOS", group="Support", zone="America/Los_Angeles", model="Mac16,10",
        name="Support Desk Mac mini", user="mateo.garcia@example.com", v0="26.0.1",
        check_in_by=utc("2026-11-26T00:40:00Z"),
        reports=[R("2026-11-22T20:00:14Z", "Downloading"), R("2026-11-23T19:20:51Z", "Cached"),
                 R("2026-11-24T22:05:33Z", "Cached"), R("2026-11-25T23:40:06Z", "Cached"),
                 R("2026-11-26T11:31:12Z", "Installing")])
    add("tokyo-mac-enforcement-hour", "Tokyo Mac, first report after its deadline written 2026-11-26T20:24:40+09:00 (11:24:40Z)",
        ("past-deadline", "enforcement-hour"),
        platform="macOS", group="Sales", zone="Asia/Tokyo", model="Mac14,2",
        name="Kenji's MacBook Air", user="kenji.nakamura@example.com", v0="26.0.1",
        offset_zone="Asia/Tokyo", check_in_by=utc("2026-11-25T07:30:00Z"),
        reports=[R("2026-11-23T03:00:27Z", "Cached"), R("2026-11-24T04:10:45Z", "Cached"),
                 R("2026-11-25T05:00:03Z", "Cached"), R("2026-11-26T11:24:40Z", "Installing")])
    add("berlin-mac-exactly-60-min", "Berlin Mac, first report after its deadline exactly 60 min before as-of (11:00:00Z): not < 60 min",
        ("past-deadline", "enforcement-failed"),
        platform="macOS", group="Sales", zone="Europe/Berlin", model="iMac24,1",
        name="Lena\u2019s iMac", user="lena.becker@example.com", v0="26.0.1",
        reports=[R("2026-11-22T09:03:51Z", "Cached"), R("2026-11-23T08:47:12Z", "Cached"),
                 R("2026-11-24T09:15:00Z", "Cached"), R("2026-11-25T08:58:42Z", "Cached"),
                 R("2026-11-26T11:00:00Z", "Installing")])
    add("tokyo-mac-report-after-as-of", "Tokyo Mac whose only post-deadline report (Pass, 26.1) is at 21:04:31+09:00 = 12:04:31Z, after as-of: ignored",
        ("past-deadline", "offline-at-deadline"),
        platform="macOS", group="Support", zone="Asia/Tokyo", model="Mac15,3",
        name="Yuki's MacBook Pro", user="yuki.sato@example.com", v0="26.0.1", v1="26.1",
        updated_at=utc("2026-11-26T11:40:00Z"), offset_zone="Asia/Tokyo",
        last_check_in=utc("2026-11-25T04:10:19Z"),
        reports=[R("2026-11-23T04:00:08Z", "Installing"), R("2026-11-24T03:20:44Z", "Installing"),
                 R("2026-11-25T04:00:37Z", "Installing"), R("2026-11-26T12:04:31Z", "Pass")])
    # Stuck in Downloading.
    add("iphone-stuck-4-nights", "iPhone Downloading on all 4 nights (spelt Downloading/downloading)",
        ("stuck-downloading", ""),
        platform="iOS", group="Support", zone="America/Los_Angeles", model="iPhone15,2",
        name="Mateo's iPhone", user="mateo.garcia@example.com", v0="26.0.1",
        reports=[R("2026-11-22T17:05:10Z", "Downloading"), R("2026-11-23T18:40:29Z", "downloading"),
                 R("2026-11-24T16:55:51Z", "Downloading"), R("2026-11-25T19:30:16Z", "downloading")])
    add("exec-mac-serial-target-stuck", "Executive's Mac with its own serial target (deadline 2026-12-01), DOWNLOADING 4 nights",
        ("stuck-downloading", ""),
        platform="macOS", group="Executives", zone="America/New_York", model="Mac15,3",
        name="Grace's MacBook Pro", user="grace.evans@example.com", v0="26.0.1",
        reports=[R("2026-11-22T15:00:31Z", "DOWNLOADING"), R("2026-11-23T14:30:02Z", "DOWNLOADING"),
                 R("2026-11-24T16:10:47Z", "DOWNLOADING"), R("2026-11-25T15:45:22Z", "DOWNLOADING")])
    add("exec-mac-star-target", "Another executive's Mac, same DOWNLOADING history but only the `*` target",
        ("past-deadline", "offline-at-deadline"),
        platform="macOS", group="Executives", zone="America/New_York", model="Mac14,2",
        name="Harry's MacBook Air", user="harry.davies@example.com", v0="26.0.1",
        reports=[R("2026-11-22T15:20:31Z", "DOWNLOADING"), R("2026-11-23T14:50:02Z", "DOWNLOADING"),
                 R("2026-11-24T16:30:47Z", "DOWNLOADING"), R("2026-11-25T16:05:22Z", "DOWNLOADING")])
    add("iphone-downloading-since-last-night", "iPhone that started Downloading at 17:45Z on the last day (18 h): not stuck",
        ("in-progress", ""),
        platform="iOS", group="Sales", zone="America/New_York", model="iPhone17,3",
        name="Ethan\u2019s iPhone", user="ethan.johnson@example.com", v0="26.0.1",
        reports=[R("2026-11-22T14:12:40Z", "Pending"), R("2026-11-23T15:33:05Z", "Pending"),
                 R("2026-11-24T13:58:19Z", "Pending"), R("2026-11-25T17:45:00Z", "Downloading")])
    add("iphone-downloading-interrupted", "iPhone Downloading, Downloading, Cached, then Downloading again at 18:00Z: the run restarts, not stuck",
        ("in-progress", ""),
        platform="iOS", group="Sales", zone="America/Los_Angeles", model="iPhone16,1",
        name="Jasper's iPhone", user="jasper.walker@example.com", v0="26.0.1",
        reports=[R("2026-11-22T18:12:40Z", "Downloading"), R("2026-11-23T19:33:05Z", "Downloading"),
                 R("2026-11-24T20:58:19Z", "Cached"), R("2026-11-25T18:00:00Z", "Downloading")])
    add("ipad-stuck-2-nights", "Kandji iPad DOWNLOADING since 2026-11-24T09:30Z (two nights)",
        ("stuck-downloading", ""),
        platform="iPadOS", group="Engineering", zone="Europe/Berlin", model="iPad14,3",
        name="Jonas\u2019s iPad Pro", user="jonas.schmidt@example.com", v0="26.0.1",
        reports=[R("2026-11-22T09:00:12Z", "PENDING"), R("2026-11-23T10:00:55Z", "PENDING"),
                 R("2026-11-24T09:30:21Z", "DOWNLOADING"), R("2026-11-25T10:15:48Z", "DOWNLOADING")])
    # Compliance is by version.
    add("mac-error-but-compliant", "Mac on 26.1 whose declaration reports Error: compliant by version",
        ("compliant", ""),
        platform="macOS", group="Support", zone="Europe/London", model="Mac14,2",
        name="Siobhan's MacBook Air", user="siobhan.murphy@example.com", v0="26.1",
        reports=[R("2026-11-22T10:11:12Z", "Error", failure_count="1",
                   failure_reason="Declaration failed: device is already on the target version"),
                 R("2026-11-23T11:21:32Z", "Error", failure_count="1",
                   failure_reason="Declaration failed: device is already on the target version"),
                 R("2026-11-24T09:41:52Z", "Error", failure_count="1",
                   failure_reason="Declaration failed: device is already on the target version"),
                 R("2026-11-25T10:01:02Z", "Error", failure_count="1",
                   failure_reason="Declaration failed: device is already on the target version")])
    add("iphone-failed-but-compliant", "iPhone on 26.1 reporting DDM `failed`: compliant by version",
        ("compliant", ""),
        platform="iOS", group="Sales", zone="Europe/Berlin", model="iPhone16,1", dialect="ddm",
        name="Felix's iPhone", user="felix.wagner@example.com", v0="26.1",
        reports=[R("2026-11-23T12:11:12Z", "failed", failure_count="1"),
                 R("2026-11-25T13:01:02Z", "failed", failure_count="1")])
    add("mac-rsr", "Mac on 26.1 (a) (extra_version `(a)`)",
        ("compliant", ""),
        platform="macOS", group="Sales", zone="Europe/Berlin", model="Mac16,10",
        name="Lukas' Mac mini", user="lukas.muller@example.com", v0="26.1 (a)",
        reports=[R("2026-11-22T08:00:19Z", "Pass"), R("2026-11-23T08:30:29Z", "Pass"),
                 R("2026-11-24T09:10:39Z", "Pass"), R("2026-11-25T08:50:49Z", "Pass")])
    add("inventory-newer-than-status", "Mac whose last status says Installing 26.0.1 but whose later inventory check-in says 26.1",
        ("compliant", ""),
        platform="macOS", group="Sales", zone="Europe/London", model="Mac15,3",
        name="George's MacBook Pro", user="george.taylor@example.com", v0="26.0.1", v1="26.1",
        updated_at=utc("2026-11-25T10:40:00Z"), last_check_in=utc("2026-11-26T04:12:09Z"),
        reports=[R("2026-11-24T10:00:18Z", "Cached"), R("2026-11-25T10:00:28Z", "Installing")])
    add("status-newer-than-inventory", "Mac whose inventory (2026-11-23) still says 26.0.1 but whose status row on 2026-11-25 says 26.1",
        ("compliant", ""),
        platform="macOS", group="Support", zone="America/New_York", model="Mac14,2",
        name="Ava\u2019s MacBook Air", user="ava.brown@example.com", v0="26.0.1", v1="26.1",
        updated_at=utc("2026-11-25T14:20:00Z"), last_check_in=utc("2026-11-23T15:00:41Z"),
        reports=[R("2026-11-23T14:00:11Z", "Downloading"), R("2026-11-24T16:00:21Z", "Installing"),
                 R("2026-11-25T15:00:31Z", "Pass")])
    add("kandji-pass-no-version", "Kandji Mac reporting PASS, inventory os_version empty: a Pass with no known version",
        ("compliant", ""),
        platform="macOS", group="Finance", zone="America/New_York", model="Mac15,3",
        name="Finance Reporting MacBook Pro", user="amara.okafor@example.com", v0="26.1",
        inventory_version="",
        reports=[R("2026-11-22T13:00:01Z", "PASS"), R("2026-11-23T13:10:02Z", "PASS"),
                 R("2026-11-24T13:20:03Z", "PASS"), R("2026-11-25T13:30:04Z", "PASS")])
    add("iphone-stale-but-compliant", "iPhone last seen 2026-11-08, already on 26.1",
        ("compliant", ""),
        platform="iOS", group="Sales", zone="America/New_York", model="iPhone15,2",
        name="Noah's iPhone", user="noah.smith@example.com", v0="26.1",
        last_check_in=utc("2026-11-08T16:22:10Z"))
    # Errors.
    add("iphone-error", "iPhone in Error since 2026-11-23 (3 failures, not enough disk space)",
        ("error", ""),
        platform="iOS", group="Support", zone="America/New_York", model="iPhone15,2",
        name="Isabella's iPhone", user="isabella.jones@example.com", v0="26.0.1",
        reports=[R("2026-11-22T15:05:00Z", "Downloading"),
                 R("2026-11-23T16:15:00Z", "Error", failure_count="1", failure_reason="Not enough free disk space"),
                 R("2026-11-24T15:25:00Z", "Error", failure_count="2", failure_reason="Not enough free disk space"),
                 R("2026-11-25T16:35:00Z", "Error", failure_count="3", failure_reason="Not enough free disk space")])
    add("kandji-ipad-error", "Kandji iPad ERROR, log `Not enough free disk space`",
        ("error", ""),
        platform="iPadOS", group="Finance", zone="Europe/London", model="iPad13,18",
        name="Ruby\u2019s iPad", user="ruby.kelly@example.com", v0="26.0.1",
        reports=[R("2026-11-22T11:05:00Z", "DOWNLOADING"), R("2026-11-23T11:15:00Z", "ERROR"),
                 R("2026-11-24T11:25:00Z", "ERROR"), R("2026-11-25T11:35:00Z", "ERROR")])
    add("mac-device-target-error", "Sydney Mac reporting its own pending deadline 2026-11-28T17:00 (beats `*`, which is past) and `failed`",
        ("error", ""),
        platform="macOS", group="Sales", zone="Australia/Sydney", model="Mac15,3", dialect="ddm",
        name="Ngaio's MacBook Pro", user="ngaio.ngata@example.com", v0="26.0.1",
        device_target=("26.1", "25B78", "2026-11-28T17:00:00"),
        reports=[R("2026-11-22T00:10:00Z", "downloading"),
                 R("2026-11-23T01:20:00Z", "failed", failure_count="1", failure_reason="Download failed: network connection lost"),
                 R("2026-11-24T02:30:00Z", "failed", failure_count="2", failure_reason="Download failed: network connection lost"),
                 R("2026-11-25T03:40:00Z", "failed", failure_count="3", failure_reason="Download failed: network connection lost")])
    add("iphone-device-target-past", "Tokyo iPhone reporting its own deadline 2026-11-26T09:00 (00:00Z, past; `*` would say due soon)",
        ("past-deadline", "enforcement-failed"),
        platform="iOS", group="Sales", zone="Asia/Tokyo", model="iPhone17,3",
        name="Haruto's iPhone", user="haruto.suzuki@example.com", v0="26.0.1",
        device_target=("26.1", "23B85", "2026-11-26T09:00:00"), offset_zone="Asia/Tokyo",
        reports=[R("2026-11-23T02:00:00Z", "Cached"), R("2026-11-24T02:10:00Z", "Cached"),
                 R("2026-11-25T02:20:00Z", "Cached"), R("2026-11-26T02:15:00Z", "Installing")])
    # Time zones.
    add("no-zone-mac-device-target", "Mac with no zone anywhere, own deadline 2026-11-26T08:00: past only from 20:00Z (UTC-12), so due soon",
        ("due-soon", ""),
        platform="macOS", group="Support", zone="", model="Mac16,10",
        name="Warehouse Mac mini", user="tariq.haddad@example.com", v0="26.0.1",
        device_target=("26.1", "25B78", "2026-11-26T08:00:00"),
        reports=[R("2026-11-23T09:00:00Z", "Pending"), R("2026-11-24T09:30:00Z", "Pending"),
                 R("2026-11-25T14:00:00Z", "Downloading")])
    add("no-zone-iphone", "Store iPhone with no zone: iOS deadline 09:00 counts as due soon from UTC+14 (a LA zone would say in progress)",
        ("due-soon", ""),
        platform="iOS", group="Retail Kiosks", zone="", model="iPhone15,2",
        name="Store 02 Stock iPhone", v0="26.0.1",
        reports=[R("2026-11-22T16:00:10Z", "Pending"), R("2026-11-23T16:10:20Z", "Pending"),
                 R("2026-11-24T16:20:30Z", "Pending"), R("2026-11-25T16:30:40Z", "Pending")])
    add("no-zone-mac-past", "Mac with no zone: `*` deadline 2026-11-25T17:00 is past everywhere from 2026-11-26T05:00Z",
        ("past-deadline", "enforcement-failed"),
        platform="macOS", group="Sales", zone="", model="Mac14,2",
        name="Kwame's MacBook Air", user="kwame.mensah@example.com", v0="26.0.1",
        reports=[R("2026-11-22T12:00:10Z", "Cached"), R("2026-11-23T12:10:20Z", "Cached"),
                 R("2026-11-24T12:20:30Z", "Cached"), R("2026-11-25T12:30:40Z", "Cached"),
                 R("2026-11-26T07:10:00Z", "Installing")])
    add("status-zone-fallback", "iPhone with empty inventory zone; its status rows say America/Los_Angeles",
        ("in-progress", ""),
        platform="iOS", group="Sales", zone="", status_zone="America/Los_Angeles",
        model="iPhone17,3", name="Camila's iPhone", user="camila.silva@example.com", v0="26.0.1",
        reports=[R("2026-11-22T20:00:00Z", "Pending"), R("2026-11-24T21:00:00Z", "Pending"),
                 R("2026-11-25T22:00:00Z", "Pending")])
    add("inventory-zone-wins", "iPhone: inventory zone America/Los_Angeles beats the Asia/Tokyo in its status rows",
        ("in-progress", ""),
        platform="iOS", group="Support", zone="America/Los_Angeles", status_zone="Asia/Tokyo",
        model="iPhone16,1", name="Leilani\u2019s iPhone", user="leilani.kealoha@example.com", v0="26.0.1",
        reports=[R("2026-11-22T23:00:00Z", "Cached"), R("2026-11-24T23:30:00Z", "Cached"),
                 R("2026-11-25T23:45:00Z", "Cached")])
    # Not reporting.
    add("iphone-not-reporting", "iPhone last seen 2026-11-12, still on 26.0.1",
        ("not-reporting", ""),
        platform="iOS", group="Sales", zone="Asia/Kolkata", model="iPhone16,1",
        name="Priya's iPhone", user="priya.sharma@example.com", v0="26.0.1",
        last_check_in=utc("2026-11-12T08:14:22Z"))
    add("ipad-seen-6d22h-ago", "iPad last seen 2026-11-19T14:10Z, 6 d 22 h before as-of: not yet stale",
        ("in-progress", ""),
        platform="iPadOS", group="Sales", zone="Australia/Sydney", model="iPad13,18",
        name="Ivy's iPad", user="ivy.walker@example.com", v0="26.0.1",
        last_check_in=utc("2026-11-19T14:10:00Z"))
    add("ipad-seen-7d3h-ago", "iPad last seen 2026-11-19T09:00Z, 7 d 3 h before as-of",
        ("not-reporting", ""),
        platform="iPadOS", group="Support", zone="America/New_York", model="iPad13,18",
        name="Support Loaner iPad 3", v0="26.0.1", last_check_in=utc("2026-11-19T09:00:00Z"))
    add("ipad-never-seen", "iPad enrolled but never checked in (empty last_check_in and os_version)",
        ("not-reporting", ""),
        platform="iPadOS", group="Sales", zone="Europe/London", model="iPad13,18",
        name="iPad", user="freya.jones@example.com", v0="", last_check_in=None)
    add("mac-stale", "Kandji Mac last seen 2026-11-05, no status rows",
        ("past-deadline", "offline-at-deadline"),
        platform="macOS", group="Finance", zone="Europe/Berlin", model="Mac14,2",
        name="Astrid's MacBook Air", user="astrid.lindqvist@example.com", v0="26.0.1",
        last_check_in=utc("2026-11-05T10:41:09Z"))
    # Engineering group target (2026-11-24T09:00 local) beats `*`.
    add("eng-mac-failed-by-group-target", "Engineering Mac in LA last reporting 2026-11-25T20:00Z: after the group deadline (`*` alone would say offline)",
        ("past-deadline", "enforcement-failed"),
        platform="macOS", group="Engineering", zone="America/Los_Angeles", model="Mac15,3",
        name="Wei's MacBook Pro", user="wei.chen@example.com", v0="26.0.1",
        reports=[R("2026-11-22T19:10:00Z", "CACHED"), R("2026-11-23T18:20:00Z", "CACHED"),
                 R("2026-11-24T20:30:00Z", "CACHED"), R("2026-11-25T20:00:00Z", "CACHED")])
    add("eng-mac-error-past", "Engineering Mac INSTALLING then ERROR after its deadline: past deadline outranks error",
        ("past-deadline", "enforcement-failed"),
        platform="macOS", group="Engineering", zone="America/Los_Angeles", model="Mac15,3",
        name="Min-jun's MacBook Pro", user="min-jun.kim@example.com", v0="26.0.1",
        reports=[R("2026-11-22T17:10:00Z", "CACHED"), R("2026-11-23T21:20:00Z", "CACHED"),
                 R("2026-11-24T18:00:00Z", "INSTALLING"), R("2026-11-25T19:00:00Z", "ERROR")])
    add("eng-mac-offline", "Engineering Mac in Tokyo, last report 2026-11-23T06:00Z before its group deadline (2026-11-24T00:00Z)",
        ("past-deadline", "offline-at-deadline"),
        platform="macOS", group="Engineering", zone="Asia/Tokyo", model="Mac14,2",
        name="Sakura's MacBook Air", user="sakura.watanabe@example.com", v0="26.0.1",
        reports=[R("2026-11-22T05:00:00Z", "DOWNLOADING"), R("2026-11-23T06:00:00Z", "CACHED")])
    add("snoozed-iphone", "iPhone whose last row has the unknown status `Snoozed`: kept, status Unknown",
        ("in-progress", ""),
        platform="iOS", group="Support", zone="America/Los_Angeles", model="iPhone16,1",
        name="Jack\u2019s iPhone", user="jack.williams@example.com", v0="26.0.1",
        reports=[R("2026-11-22T21:00:00Z", "Pending"), R("2026-11-23T21:30:00Z", "Pending"),
                 R("2026-11-24T22:00:00Z", "Snoozed")])
    # Out of scope / no target.
    add("kandji-mac-incompatible", "2018 MacBook Pro on 15.7.2, Kandji INCOMPATIBLE",
        ("out-of-scope", ""),
        platform="macOS", group="Engineering", zone="Europe/Berlin", model="MacBookPro15,2",
        name="Build Agent 07", v0="15.7.2",
        reports=[R("2026-11-%02dT07:%02d:00Z" % (d, d), "INCOMPATIBLE") for d in REPORT_DAYS])
    add("kandji-mac-excluded", "Finance Mac mini excluded from enforcement (on 26.1 anyway)",
        ("out-of-scope", ""),
        platform="macOS", group="Finance", zone="America/New_York", model="Macmini9,1",
        name="Finance Close Mac mini", v0="26.1",
        reports=[R("2026-11-%02dT14:%02d:00Z" % (d, d), "EXCLUDED") for d in REPORT_DAYS])
    add("iphone-xr-incompatible", "iPhone XR on 18.7.2, Incompatible with iOS 26",
        ("out-of-scope", ""),
        platform="iOS", group="Support", zone="Asia/Kolkata", model="iPhone11,8",
        name="Rohan's iPhone", user="rohan.iyer@example.com", v0="18.7.2",
        reports=[R("2026-11-%02dT06:%02d:00Z" % (d, d + 10), "Incompatible") for d in REPORT_DAYS])
    add("ipad-7th-gen-incompatible", "iPad (7th generation) on 18.7.2, incompatible",
        ("out-of-scope", ""),
        platform="iPadOS", group="Sales", zone="America/Los_Angeles", model="iPad7,11",
        name="Sales Demo iPad", v0="18.7.2", dialect="lower",
        reports=[R("2026-11-%02dT19:%02d:00Z" % (d, d + 5), "incompatible") for d in REPORT_DAYS])
    for n, zone in ((1, "America/Los_Angeles"), (5, "Asia/Tokyo")):
        add("kiosk-ipad-excluded-%d" % n, "Kiosk iPad excluded from enforcement",
            ("out-of-scope", ""),
            platform="iPadOS", group="Retail Kiosks", zone=zone, model="iPad13,18",
            name="Store %02d, Kiosk 1" % n, v0="26.0.1",
            reports=[R("2026-11-%02dT%02d:%02d:00Z" % (d, 10 + n, d), "Excluded") for d in REPORT_DAYS])
    add("kiosk-ipad-error-no-target", "Kiosk iPad in Error, but no iPadOS target covers Retail Kiosks",
        ("no-target", ""),
        platform="iPadOS", group="Retail Kiosks", zone="Europe/London", model="iPad13,18",
        name="Store 03, Kiosk 2", v0="26.0.1",
        reports=[R("2026-11-%02dT12:%02d:00Z" % (d, d), "Error", failure_count="1",
                   failure_reason="Not enough free disk space") for d in REPORT_DAYS])
    # Platform inferred from the model.
    add("kandji-mac-no-platform", "Kandji Mac with empty inventory platform (inferred from Mac15,3), PASS on 26.1",
        ("compliant", ""),
        platform="macOS", platform_in_inventory=False, group="Finance", zone="Europe/London",
        model="Mac15,3", name="Declan's MacBook Pro", user="declan.obrien@example.com", v0="26.1",
        reports=[R("2026-11-%02dT15:%02d:00Z" % (d, d), "PASS") for d in REPORT_DAYS])
    add("iphone-no-platform", "iPhone with empty platform (inferred from iPhone17,3), Pending in Sydney",
        ("due-soon", ""),
        platform="iOS", platform_in_inventory=False, group="Sales", zone="Australia/Sydney",
        model="iPhone17,3", name="Mele's iPhone", user="mele.kealoha@example.com", v0="26.0.1",
        reports=[R("2026-11-%02dT01:%02d:00Z" % (d, d), "Pending") for d in REPORT_DAYS])
    return s


# --------------------------------------------------------------------------
# Filler devices

def filler_timeline(dev, rng, profile):
    """Fills v0/v1/updated_at/reports for a filler device from its profile."""
    plat = "macOS" if dev.platform == "macOS" else "iOS"
    new = "26.1"
    old = "26.0.1"
    days = [d for d in REPORT_DAYS if rng.random() > 0.12] or [25]
    if profile == "stale":
        dev.v0 = rng.choice([old, old, new])
        dev.last_check_in = datetime(2026, 11, rng.randint(1, 17), rng.randint(0, 23),
                                     rng.randint(0, 59), rng.randint(0, 59), tzinfo=UTC)
        return
    if profile == "offline":
        last = rng.choice([22, 23, 24])
        days = [d for d in REPORT_DAYS if d <= last]
    times = {d: datetime(2026, 11, d, rng.randint(0, 23), rng.randint(0, 59),
                         rng.randint(0, 59), tzinfo=UTC) for d in days}
    if profile == "current":
        dev.v0 = "26.1 (a)" if plat == "macOS" and rng.random() < 0.12 else new
    elif profile == "old-major":
        dev.v0 = "15.7.2" if plat == "macOS" else "18.7.2"
    else:
        dev.v0 = old
    if profile == "updated":
        ud = rng.choice(days)
        dev.v1 = new
        dev.updated_at = times[ud] - timedelta(minutes=rng.randint(10, 300))
    stage = rng.choice([0, 0, 1, 1, 2])
    stages = ["Pending", "Downloading", "Cached", "Installing"]
    failures = 0
    reason = rng.choice(FAILURE_REASONS)
    error_from = rng.choice(days)
    for d in days:
        t = times[d]
        if dev.version_at(t) in (new, "26.1 (a)"):
            st = "Pass"
        elif profile == "old-major":
            st = "Pending"
        elif profile == "error" and d >= error_from:
            st = "Error"
        else:
            st = stages[stage]
            if rng.random() < 0.45:
                stage = min(stage + 1, 3)
        if st == "Error":
            failures += 1
            dev.reports.append(Report(t, st, failure_count=str(failures), failure_reason=reason))
        else:
            dev.reports.append(Report(t, st))


def fillers(rng, counts):
    devices = []
    people = []
    for i in range(200):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = rng.choice(LAST_NAMES)
        people.append({"first": first, "last": last,
                       "group": weighted(rng, GROUPS), "zone": weighted(rng, ZONES)})
    rng.shuffle(people)
    profiles = {
        "macOS": [("current", 42), ("updated", 22), ("lagging", 14), ("offline", 6),
                  ("old-major", 4), ("error", 6), ("stale", 6)],
        "iOS": [("current", 34), ("updated", 20), ("lagging", 24), ("offline", 5),
                ("old-major", 5), ("error", 6), ("stale", 6)],
    }
    profiles["iPadOS"] = profiles["iOS"]
    mac_models = [("Mac14,2", 30), ("Mac15,3", 30), ("Macmini9,1", 8), ("iMac24,1", 12),
                  ("Mac16,10", 10)]
    phone_models = [("iPhone15,2", 30), ("iPhone16,1", 40), ("iPhone17,3", 30)]
    pad_models = [("iPad13,18", 60), ("iPad14,3", 40)]
    kiosk = {"macOS": 5, "iOS": 5, "iPadOS": 10}
    pi = 0
    for plat in ("macOS", "iOS", "iPadOS"):
        models = {"macOS": mac_models, "iOS": phone_models, "iPadOS": pad_models}[plat]
        for n in range(counts[plat]):
            model = weighted(rng, models)
            kind = MODEL_NAMES[model]
            if n < kiosk[plat]:
                store, zone = STORES[n % len(STORES)]
                name = {"macOS": "%s Back Office %s", "iOS": "%s Floor %s",
                        "iPadOS": "%s, Kiosk %d"}[plat]
                name = name % (store, kind) if plat != "iPadOS" else name % (store, 3 + n // 6)
                dev = Device(platform=plat, group="Retail Kiosks", zone=zone, model=model,
                             name=name, user="", v0="")
            else:
                p = people[pi % len(people)]
                pi += 1
                dev = Device(platform=plat, group=p["group"], zone=p["zone"], model=model,
                             name="%s%ss %s" % (p["first"], rng_apostrophe(p["first"]), kind),
                             user=email(p["first"], p["last"]), v0="")
            profile = weighted(rng, profiles[plat])
            # No zone only where the no-zone reading cannot change the enforcement
            # value (the no-zone stories cover the rest).
            if rng.random() < 0.05 and (plat != "macOS" or profile == "current"):
                dev.zone = ""
            if rng.random() < 0.03 and not model.startswith("iMac"):
                dev.platform_in_inventory = False
            if dev.source == "mdm":
                dev.dialect = weighted(rng, [("title", 70), ("lower", 22), ("ddm", 8)])
                if rng.random() < 0.15:
                    dev.status_zone = dev.zone
                if dev.zone == "Asia/Tokyo" and rng.random() < 0.6:
                    dev.offset_zone = "Asia/Tokyo"
            filler_timeline(dev, rng, profile)
            devices.append(dev)
    return devices


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def finish_inventory(dev, rng):
    """Chooses last_check_in and the inventory's os_version where 'auto'."""
    if dev.last_check_in == "auto":
        if dev.reports:
            past = [r.at for r in dev.reports if r.at < INVENTORY_EXPORTED]
            last = max(past) if past else min(r.at for r in dev.reports) - timedelta(hours=3)
            if dev.source == "mdm" and not dev.key and rng.random() < 0.25 and len(past) > 1:
                # the inventory lags the status exports
                t = min(past) + timedelta(minutes=rng.randint(5, 600))
                t = min(t, last - timedelta(minutes=30))
            else:
                t = last + timedelta(minutes=rng.randint(5, 360), seconds=rng.randint(0, 59))
                t = min(t, INVENTORY_EXPORTED - timedelta(seconds=rng.randint(1, 1800)))
            # (chosen as above first, so the random stream stays the same)
            dev.last_check_in = min(t, dev.check_in_by) if dev.check_in_by else t
        else:
            dev.last_check_in = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
    if dev.inventory_version == "auto":
        dev.inventory_version = dev.version_at(dev.last_check_in) if dev.last_check_in else ""


# --------------------------------------------------------------------------
# Writers

def fmt_z(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def fmt_offset(t, zone):
    s = t.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S%z")
    return s[:-2] + ":" + s[-2:]


def write_csv(path, header, rows, crlf=False):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    w.writerow(header)
    w.writerows(rows)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())


def split_version(v):
    """'26.1 (a)' -> ('26.1', '(a)')."""
    if " " in v:
        a, b = v.split(" ", 1)
        return a, b
    return v, ""


def mdm_row(dev, r, rng_rsr_bare):
    v = r.version or dev.version_at(r.at)
    ver, extra = split_version(v)
    if extra and rng_rsr_bare:
        extra = "a"
    plat = "iOS" if dev.platform != "macOS" else "macOS"
    build = BUILDS.get((plat, v), "")
    status = r.status
    if status in DIALECTS["title"]:
        status = DIALECTS[dev.dialect][status]
    at = fmt_offset(r.at, dev.offset_zone) if dev.offset_zone else fmt_z(r.at)
    tv, tb, tw = dev.device_target or ("", "", "")
    return [dev.serial, status, at, dev.name, dev.user, dev.group,
            dev.platform if dev.platform_in_inventory else "", dev.model, ver, build, extra,
            tv, tb, tw, dev.status_zone, r.failure_count, r.failure_reason]


# The library item type Kandji's device status API gives a Managed OS item,
# per platform (status_report.py writes it to the `type` column).
KANDJI_OS_TYPE = {"macOS": "macos-release", "iOS": "ios-release", "iPadOS": "ipados-release"}
# Other library items of the same devices: (name, type, PASS log, ERROR log).
# ddmreport and the oracle skip them (their status and log are not the OS's).
KANDJI_OTHER_ITEMS = [
    ("Acme VPN", "custom-app", "Acme VPN 4.2 installed",
     "Acme VPN 4.2 failed to install: the package signature is not valid"),
    ("Wi-Fi (Corporate)", "profile", "Profile installed",
     "Profile failed to install: the certificate payload is not trusted"),
]


def kandji_time(at, rng):
    return at.strftime("%Y-%m-%d %H:%M:%S") + ".%06d+00:00" % rng.randint(0, 999999)


def kandji_row(dev, r, rng):
    status = r.status.upper()
    item = ("macOS Tahoe 26.1 Enforcement" if dev.platform == "macOS"
            else "iPadOS 26.1 Enforcement")
    at = kandji_time(r.at, rng)
    log = ""
    if status == "ERROR":
        log = r.failure_reason or "Not enough free disk space"
    return [dev.serial, dev.name, dev.group, item, status, KANDJI_OS_TYPE[dev.platform], at,
            KANDJI_AUDIT.get(status, ""), log]


def kandji_other_rows(dev, r, krng):
    """(time, row) of the device's other library items reported the same day
    as its Managed OS item r: mostly PASS, now and then ERROR with an
    install log.  krng is their own stream, so nothing else changes."""
    out = []
    for name, typ, ok_log, err_log in KANDJI_OTHER_ITEMS:
        at = r.at - timedelta(minutes=krng.randint(1, 90))
        if at.date() != r.at.date():
            at = r.at + timedelta(minutes=krng.randint(1, 30))
        err = krng.random() < 0.15
        out.append((at, [dev.serial, dev.name, dev.group, name, "ERROR" if err else "PASS",
                         typ, kandji_time(at, krng), "Install failed" if err else ok_log,
                         err_log if err else ok_log]))
    return out


# --------------------------------------------------------------------------
# DDM sources: part of the second MDM's Macs and iPhones are on NanoMDM + KMFDDM.

# Stories that move to the DDM sources (their text stays true there).
DDM_STORIES = {"iphone-device-target-past": "webhook", "iphone-failed-but-compliant": "webhook",
               "mac-device-target-error": "raw", "iphone-error": "raw"}
DDM_FILLERS = {"webhook": 11, "raw": 11}
DDM_STATE = DIALECTS["ddm"]            # canonical status -> softwareupdate.install-state
ENFORCEMENT_DECL = {"macOS": "com.example.ddm.softwareupdate.macos-26-1",
                    "iOS": "com.example.ddm.softwareupdate.ios-26-1"}
WEBHOOK_LAST = datetime(2026, 11, 26, 12, 10, 0, tzinfo=UTC)   # log copied at 12:10Z


def pick_ddm_devices(devices, jrng):
    """Marks dev.ddm = 'webhook' or 'raw' and gives each an enrollment id.
    Uses its own random stream, so nothing else in the fleet changes."""
    for d in devices:
        d.ddm = DDM_STORIES.get(d.key, "")
    cands = [d for d in devices if not d.key and d.source == "mdm"
             and d.platform in ("macOS", "iOS") and len(d.reports) >= 2
             and not (d.status_zone and not d.zone)]
    chosen = jrng.sample(cands, sum(DDM_FILLERS.values()))
    for i, d in enumerate(chosen):
        d.ddm = "webhook" if i < DDM_FILLERS["webhook"] else "raw"
    for d in devices:
        if not d.ddm:
            continue
        if d.platform == "iOS":   # iPhone UDIDs: 8-16 hex; Macs: a UUID
            d.enrollment = "0000%d-%016X" % (jrng.choice([8110, 8120, 8130, 8140]),
                                               jrng.getrandbits(64))
        else:
            d.enrollment = "%08X-%04X-%04X-%04X-%012X" % (
                jrng.getrandbits(32), jrng.getrandbits(16), 0x4000 | jrng.getrandbits(12),
                0x8000 | jrng.getrandbits(14), jrng.getrandbits(48))


def ddm_timeline(dev, jrng):
    """[(at, Report, full)]: the device's reports, the first one and every
    one that changes the OS version full, the rest incremental; plus a daily
    full report between two reports that repeats the earlier state (so it
    moves no status run, last-seen time or first report after a deadline)."""
    reps = sorted(dev.reports, key=lambda r: r.at)
    out = []
    for i, r in enumerate(reps):
        prev = reps[i - 1] if i else None
        full = prev is None or dev.version_at(prev.at) != dev.version_at(r.at)
        out.append((r.at, r, full))
        if dev.expect and dev.expect[1] == "enforcement-hour":
            continue
        nxt = reps[i + 1] if i + 1 < len(reps) else None
        if nxt is None or nxt.at > AS_OF:
            continue
        gap = int((nxt.at - r.at).total_seconds())
        if gap < 10 * 3600:
            continue
        t = r.at + timedelta(seconds=jrng.randint(3 * 3600, gap - 4 * 3600))
        if dev.version_at(t) != dev.version_at(r.at) or t == dev.last_check_in:
            continue
        out.append((t, Report(t, r.status, r.version, failure_reason=r.failure_reason,
                              failure_count=r.failure_count), True))
    return sorted(out, key=lambda x: x[0])


def ddm_report(dev, r, full):
    """A DDM status report as the device sends it."""
    plat = "macOS" if dev.platform == "macOS" else "iOS"
    v = r.version or dev.version_at(r.at)
    ver, extra = split_version(v)
    state = DDM_STATE[map_status(r.status)]
    su = {"install-state": state}
    count = int(r.failure_count or 0)
    if full or state == "failed":
        fr = {"count": count}
        if count and r.failure_reason:
            fr["reason"] = r.failure_reason
        if count:
            fr["timestamp"] = fmt_z(r.at - timedelta(minutes=7))
        su["failure-reason"] = fr
    if full:
        if dev.device_target:
            tv, tb, tw = dev.device_target
            su["pending-version"] = {"os-version": tv, "build-version": tb,
                                     "target-local-date-time": tw}
            su["install-reason"] = {"reason": ["declaration"],
                                    "declaration-id": ENFORCEMENT_DECL[plat]}
        elif parse_version(v) and vcmp(parse_version(v), parse_version("26.1")) < 0:
            # an update is pending, but no declaration sets its deadline
            su["pending-version"] = {"os-version": "26.1", "build-version": BUILDS[(plat, "26.1")]}
            su["install-reason"] = {"reason": ["mdm"]}
        su["beta-enrollment"] = ""
    items = {}
    if full:
        osv = {"family": plat, "marketing-name": "%s %s" % (plat, ver), "version": ver,
               "build-version": BUILDS.get((plat, split_version(v)[0] if extra else v), "")}
        if extra:
            osv["supplemental"] = {"extra-version": extra, "build-version": BUILDS[(plat, v)]}
        items["device"] = {
            "identifier": {"serial-number": dev.serial, "udid": dev.enrollment},
            "model": {"family": "Mac" if plat == "macOS" else "iPhone",
                      "identifier": dev.model, "marketing-name": MODEL_NAMES[dev.model]},
            "operating-system": osv}
        items["management"] = {"declarations": {
            "activations": [{"active": True, "identifier": "com.example.ddm.activation.default",
                             "valid": "valid", "server-token": "5"}],
            "assets": [],
            "configurations": [
                {"active": True, "identifier": "com.example.ddm.status-subscriptions",
                 "valid": "valid", "server-token": "3"},
                {"active": True, "identifier": ENFORCEMENT_DECL[plat], "valid": "valid",
                 "server-token": "7"}],
            "management": []}}
        items["mdm"] = {"enrollment-type": "supervised" if plat == "iOS" else "device"}
    items["softwareupdate"] = su
    doc = {"StatusItems": items, "Errors": []}
    if full or sum(map(ord, dev.serial + fmt_z(r.at))) % 3:
        doc["FullReport"] = full     # some incremental reports omit it, as real ones do
    return doc


def apple_json(doc):
    """Pretty-printed as Apple's JSON serialiser writes it."""
    return (json.dumps(doc, indent=2, separators=(",", " : "), ensure_ascii=False) + "\n").encode()


def dm_plist(endpoint, udid, data=None):
    d = {"Endpoint": endpoint, "MessageType": "DeclarativeManagement", "UDID": udid}
    if data is not None:
        d["Data"] = data
    return plistlib.dumps(d, fmt=plistlib.FMT_XML, sort_keys=True)


def nano_time(t, jrng):
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % jrng.randint(0, 999999999)


def webhook_events(dev, jrng):
    """(time, event) of one device: a status check-in per report; before a
    full report the device also fetched its tokens and declaration items."""
    evs = []
    for at, r, full in ddm_timeline(dev, jrng):
        body = json.dumps(ddm_report(dev, r, full), separators=(",", ":")).encode()
        if full:
            for back, ep in ((14, "tokens"), (9, "declaration-items")):
                evs.append((at - timedelta(seconds=back), "mdm.DeclarativeManagement",
                            {"udid": dev.enrollment, "url_params": None,
                             "raw_payload": dm_plist(ep, dev.enrollment)}))
        evs.append((at, "mdm.DeclarativeManagement",
                    {"udid": dev.enrollment, "url_params": None,
                     "raw_payload": dm_plist("status", dev.enrollment, body)}))
        if jrng.random() < 0.2:   # a push wakes the device: it also checks in for commands
            evs.append((at + timedelta(seconds=jrng.randint(20, 90)), "mdm.Connect",
                        {"udid": dev.enrollment, "status": "Idle", "url_params": None,
                         "raw_payload": plistlib.dumps({"Status": "Idle", "UDID": dev.enrollment},
                                                       fmt=plistlib.FMT_XML)}))
    return evs


def write_webhook_logs(status_dir, devs, jrng):
    """One NanoMDM webhook log per UTC day (the last copied at 12:10Z);
    returns the number of events the tool must skip."""
    evs = []
    for d in devs:
        evs += webhook_events(d, jrng)
    # a device re-enrols on the 24th: Authenticate and TokenUpdate
    d = devs[0]
    t = datetime(2026, 11, 24, 7, 41, 5, tzinfo=UTC)
    evs.append((t, "mdm.Authenticate", {"udid": d.enrollment, "url_params": None,
                "raw_payload": plistlib.dumps({"MessageType": "Authenticate", "UDID": d.enrollment,
                                               "Topic": "com.apple.mgmt.External.3f2b"},
                                              fmt=plistlib.FMT_XML)}))
    evs.append((t + timedelta(seconds=4), "mdm.TokenUpdate", {"udid": d.enrollment, "url_params": None,
                "raw_payload": plistlib.dumps({"MessageType": "TokenUpdate", "UDID": d.enrollment,
                                               "Topic": "com.apple.mgmt.External.3f2b"},
                                              fmt=plistlib.FMT_XML)}))
    evs.sort(key=lambda e: (e[0], e[2]["udid"], e[1]))
    by_day = defaultdict(list)
    skipped = 0
    for t, topic, ce in evs:
        if t > WEBHOOK_LAST:
            continue
        ce = dict(ce, raw_payload=base64.b64encode(ce["raw_payload"]).decode())
        ev = {"topic": topic, "event_id": "%016x" % jrng.getrandbits(64),
              "created_at": nano_time(t, jrng)}
        ev["acknowledge_event" if topic == "mdm.Connect" else "checkin_event"] = ce
        by_day[t.date()].append(json.dumps(ev, separators=(",", ":")) + "\n")
        if topic != "mdm.DeclarativeManagement" or b"<string>status</string>" not in \
                base64.b64decode(ce["raw_payload"]):
            skipped += 1
    for day, lines in sorted(by_day.items()):
        with open(os.path.join(status_dir, "nanomdm-webhook-%s.ndjson" % day.isoformat()), "w",
                  encoding="utf-8", newline="") as f:
            f.write("".join(lines))
    return skipped


def write_raw_reports(status_dir, devs, jrng):
    """KMFDDM's captures: <enrollment-id>.<YYYYMMDD-HHMMSS>.<usec>.status.json."""
    folder = os.path.join(status_dir, "ddm-reports")
    os.makedirs(folder, exist_ok=True)
    for d in devs:
        for at, r, full in ddm_timeline(d, jrng):
            name = "%s.%s.%06d.status.json" % (d.enrollment, at.strftime("%Y%m%d-%H%M%S"),
                                               jrng.randint(0, 999999))
            with open(os.path.join(folder, name), "wb") as f:
                f.write(apple_json(ddm_report(d, r, full)))


def generate(root):
    rng = random.Random(SEED)
    samples = os.path.join(root, "samples")
    status_dir = os.path.join(samples, "status")
    expected_dir = os.path.join(root, "tests", "expected")
    os.makedirs(status_dir, exist_ok=True)
    os.makedirs(expected_dir, exist_ok=True)

    story_devs = stories()
    have = Counter(d.platform for d in story_devs)
    want = {"macOS": 165, "iOS": 90, "iPadOS": 45}
    devices = story_devs + fillers(rng, {p: want[p] - have[p] for p in want})
    used = set()
    for d in devices:
        d.serial = make_serial(rng, d.model, used)
        finish_inventory(d, rng)
    by_key = {d.key: d for d in devices if d.key}
    jrng = random.Random(SEED + 1)     # the DDM sources' own stream
    krng = random.Random(SEED + 2)     # Kandji's other library items' own stream
    pick_ddm_devices(devices, jrng)

    # inventory
    inv_rows = []
    for d in sorted(devices, key=lambda d: (d.name.casefold(), d.serial)):
        inv_rows.append([d.serial, d.name, d.user, d.group,
                         d.platform if d.platform_in_inventory else "", d.model, d.zone,
                         fmt_z(d.last_check_in) if d.last_check_in else "",
                         d.inventory_version])
    write_csv(os.path.join(samples, "inventory.csv"), INVENTORY_HEADER, inv_rows)

    # targets
    trows = []
    for plat, group, serial, v, b, wall, url in TARGETS:
        if serial.startswith("@"):
            serial = by_key[serial[1:]].serial
        trows.append([plat, group, serial, v, b, wall, url])
    write_csv(os.path.join(samples, "targets.csv"), TARGETS_HEADER, trows)

    # status exports: night N holds each device's latest report of day N-1
    kandji_nights = defaultdict(list)
    mdm_nights = defaultdict(list)
    for d in devices:
        if d.ddm:
            continue   # NanoMDM + KMFDDM: only in the DDM sources below
        latest = {}
        for r in d.reports:
            day = r.at.day if r.at < datetime(2026, 11, 26, tzinfo=UTC) else "midday"
            if day not in latest or r.at > latest[day].at:
                latest[day] = r
        for day, r in latest.items():
            rsr_bare = d.serial[-1] in "02468"
            if d.source == "kandji":
                assert day != "midday", d.key
                kandji_nights[day].append((r.at, d.serial, kandji_row(d, r, rng)))
                for at, row in kandji_other_rows(d, r, krng):
                    kandji_nights[day].append((at, d.serial, row))
            else:
                mdm_nights[day].append((r.at, d.serial, mdm_row(d, r, rsr_bare)))
    bad_lines = {}
    kandji_other = sum(1 for day in REPORT_DAYS for x in kandji_nights[day]
                       if not x[2][5].endswith("-release"))
    for day in REPORT_DAYS:
        night = "2026-11-%02d" % (day + 1)
        rows = [x[2] for x in sorted(kandji_nights[day], key=lambda x: (x[0], x[1]))]
        write_csv(os.path.join(status_dir, "kandji-%s.csv" % night), KANDJI_HEADER, rows,
                  crlf=True)
        entries = sorted(mdm_nights[day], key=lambda x: (x[0], x[1]))
        if day == 24:
            # This export used a 36-hour window: late rows of 2026-11-23 repeat.
            prev = [e for e in sorted(mdm_nights[23], key=lambda x: (x[0], x[1]))
                    if e[0] >= datetime(2026, 11, 23, 13, tzinfo=UTC)]
            entries = prev[:12] + entries
        rows = [e[2] for e in entries]
        if day == 24:
            # Deliberately bad rows.
            empty_serial = ["", "Pending", "2026-11-24T13:02:44Z", "iPhone", "", "Sales",
                            "iOS", "iPhone16,1", "26.0.1", "23A355", "", "", "", "", "", "", ""]
            victim = by_key["la-iphone-in-progress"]
            yesterday = mdm_row(victim, Report(datetime(2026, 11, 24, 12, tzinfo=UTC),
                                               "Installing"), False)
            yesterday[2] = "yesterday"
            rows.insert(40, empty_serial)
            rows.insert(90, yesterday)
            name = "samples/status/mdm-export-%s.csv" % night
            bad_lines["empty serial_number"] = "%s:%d" % (name, 40 + 2)
            bad_lines["reported_at `yesterday`"] = "%s:%d" % (name, 90 + 2)
            snoozed = by_key["snoozed-iphone"].serial
            for i, row in enumerate(rows):
                if row[0] == snoozed and row[1] == "Snoozed":
                    bad_lines["status `Snoozed` (kept, Unknown)"] = "%s:%d" % (name, i + 2)
        write_csv(os.path.join(status_dir, "mdm-export-%s.csv" % night), MDM_HEADER, rows)
    rows = [e[2] for e in sorted(mdm_nights["midday"], key=lambda x: (x[0], x[1]))]
    write_csv(os.path.join(status_dir, "mdm-export-2026-11-26-midday.csv"), MDM_HEADER, rows)

    # DDM sources
    for fn in os.listdir(status_dir):
        if fn.startswith("nanomdm-webhook-"):
            os.remove(os.path.join(status_dir, fn))
    shutil.rmtree(os.path.join(status_dir, "ddm-reports"), ignore_errors=True)
    skipped = write_webhook_logs(status_dir, [d for d in devices if d.ddm == "webhook"], jrng)
    write_raw_reports(status_dir, [d for d in devices if d.ddm == "raw"], jrng)

    # oracle over the files as written
    result = classify(samples, AS_OF)
    out = [[s, c, e] for s, (c, e) in sorted(result.items())]
    write_csv(os.path.join(expected_dir, "samples-classification.csv"),
              ["serial_number", "classification", "enforcement"], out)

    write_readme(samples, devices, result, bad_lines, skipped, kandji_other)
    return devices, result, bad_lines


# --------------------------------------------------------------------------
# The oracle: the design's rules, applied to the files on disk.

STATUS_MAP = {"pending": "Pending", "none": "Pending", "waiting": "Pending", "idle": "Pending",
              "downloading": "Downloading", "cached": "Cached", "prepared": "Cached",
              "installing": "Installing", "pass": "Pass", "installed": "Pass",
              "error": "Error", "failed": "Error", "incompatible": "Incompatible",
              "excluded": "Excluded"}


def map_status(raw):
    return STATUS_MAP.get(raw.strip().lower(), "Unknown")


def parse_version(s):
    """'26.1 (a)' -> ((26, 1), 'a'); None when empty."""
    s = s.strip()
    if not s:
        return None
    extra = ""
    if " " in s:
        s, extra = s.split(" ", 1)
        extra = extra.strip("() ")
    comps = [int(c) for c in s.split(".")]
    while len(comps) > 1 and comps[-1] == 0:
        comps.pop()
    return (tuple(comps), extra)


def vcmp(a, b):
    """<0, 0, >0; components numerically, missing = 0; then extra ('' < 'a')."""
    ca, cb = list(a[0]), list(b[0])
    n = max(len(ca), len(cb))
    ca += [0] * (n - len(ca))
    cb += [0] * (n - len(cb))
    if ca != cb:
        return -1 if ca < cb else 1
    if a[1] != b[1]:
        return -1 if a[1] < b[1] else 1
    return 0


def parse_ts(s):
    """ISO 8601 with a zone -> UTC datetime, fraction truncated; None if invalid."""
    try:
        t = datetime.fromisoformat(s.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        return None
    return t.astimezone(UTC).replace(microsecond=0)


def wall_to_utc(wall, zone):
    """Device-local wall time -> UTC.  fold=0 gives the earlier instant when
    ambiguous and the pre-transition offset (moved forward) in a gap."""
    return wall.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def read_dicts(path):
    with open(path, encoding="utf-8", newline="") as f:
        rd = csv.reader(f)
        header = [h.strip().lower() for h in next(rd)]
        for lineno, row in enumerate(rd, start=2):
            yield lineno, dict(zip(header, row))


# Items replaced whole when a report carries them; any other leaf is its own item.
DICT_ITEMS = ("softwareupdate.pending-version", "softwareupdate.failure-reason",
              "softwareupdate.install-reason")
RAW_NAME = re.compile(r"^(.+)\.(\d{8}-\d{6})\.(\d{6})\.status\.json$")


def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        path = prefix + k
        if isinstance(v, dict) and v:
            out.update(flatten(v, path + "."))
        else:
            out[path] = v
    return out


def item_of(path):
    return next((i for i in DICT_ITEMS if path.startswith(i + ".")), path)


def read_ddm(status_dir):
    """(serial, observation tuple) for every DDM status report in the NanoMDM
    webhook logs and the raw captures, merged per enrollment in time order."""
    reports = []   # (enrollment id, time, report)
    for fn in sorted(os.listdir(status_dir)):
        if not fn.endswith(".ndjson"):
            continue
        with open(os.path.join(status_dir, fn), encoding="utf-8") as f:
            for line in f:
                ev = json.loads(line)
                ce = ev.get("checkin_event")
                if ev["topic"] != "mdm.DeclarativeManagement" or not ce:
                    continue
                msg = plistlib.loads(base64.b64decode(ce["raw_payload"]))
                if msg.get("Endpoint") != "status":
                    continue
                reports.append((ce["udid"], parse_ts(ev["created_at"]), json.loads(msg["Data"])))
    raw_dir = os.path.join(status_dir, "ddm-reports")
    for fn in sorted(os.listdir(raw_dir)) if os.path.isdir(raw_dir) else ():
        m = RAW_NAME.match(fn)
        at = datetime.strptime(m.group(2), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        with open(os.path.join(raw_dir, fn), encoding="utf-8") as f:
            reports.append((m.group(1), at, json.load(f)))

    serial_of = {}
    for enr, _, rep in reports:   # identity: a serial any report of the enrollment carried
        s = flatten(rep["StatusItems"]).get("device.identifier.serial-number")
        if s:
            serial_of[enr] = s
    state = defaultdict(dict)      # enrollment -> {leaf path: value}
    for enr, at, rep in sorted(reports, key=lambda x: (x[0], x[1])):
        cur = state[enr]
        if rep.get("FullReport") is True:
            cur.clear()
        leaves = flatten(rep["StatusItems"])
        for item in {item_of(p) for p in leaves}:
            for p in [p for p in cur if item_of(p) == item]:
                del cur[p]
        cur.update(leaves)
        g = lambda k: str(cur.get(k, "") or "")
        ver = (g("device.operating-system.version") + " " +
               g("device.operating-system.supplemental.extra-version")).strip()
        yield serial_of[enr], (at, g("softwareupdate.install-state"), ver,
                               g("softwareupdate.pending-version.os-version"),
                               g("softwareupdate.pending-version.target-local-date-time"),
                               "", "", g("device.model.identifier"))


def classify(samples, as_of, lists=False):
    """{serial: (classification, enforcement)}; with lists, the value gains a
    third item: the set of detail reports whose criterion the device meets."""
    inv = {}
    for _, r in read_dicts(os.path.join(samples, "inventory.csv")):
        inv[r["serial_number"]] = r
    targets = [r for _, r in read_dicts(os.path.join(samples, "targets.csv"))]

    obs = defaultdict(set)  # serial -> set of observation tuples (dedups repeats)
    status_dir = os.path.join(samples, "status")
    for serial, tup in read_ddm(status_dir):
        obs[serial].add(tup)
    for fn in sorted(os.listdir(status_dir)):
        if not fn.endswith(".csv"):
            continue
        for _, r in read_dicts(os.path.join(status_dir, fn)):
            if not r.get("type", "-release").endswith("-release"):
                continue  # Kandji: only Managed OS items speak of the OS
            serial = r.get("serial_number", "").strip()
            at = parse_ts(r.get("reported_at", ""))
            if not serial or at is None:
                continue  # rejected
            ver = (r.get("os_version", "") + " " + r.get("extra_version", "")).strip()
            obs[serial].add((at, r["status"], ver, r.get("target_os_version", ""),
                             r.get("target_local_datetime", ""), r.get("time_zone", ""),
                             r.get("group", "") or r.get("blueprint_name", ""),
                             r.get("model", "")))

    result = {}
    for serial in sorted(set(inv) | set(obs)):
        c, e, reports = evaluate_one(serial, inv.get(serial, {}), sorted(obs.get(serial, ())),
                                     targets, as_of)
        result[serial] = (c, e, reports) if lists else (c, e)
    return result


def evaluate_one(serial, inv, rows, targets, as_of):
    """(classification, enforcement, reports): the first classification that
    applies, and every detail report whose own criterion the device meets."""
    rows = [r for r in rows if r[0] <= as_of]
    times = [r[0] for r in rows]
    assert len(times) == len(set(times)), "two different rows at one instant: " + serial
    status = map_status(rows[-1][1]) if rows else "Unknown"

    # current version: most recent source
    cands = [(r[0], r[2]) for r in rows if r[2]]
    lci = parse_ts(inv.get("last_check_in", "")) if inv.get("last_check_in") else None
    if lci is not None and lci > as_of:
        lci = None
    if lci is not None and inv.get("os_version"):
        cands.append((lci, inv["os_version"]))
    assert len({t for t, _ in cands}) == len(cands), "inventory check-in ties a row: " + serial
    version = parse_version(max(cands)[1]) if cands else None

    model = inv.get("model") or next((r[7] for r in reversed(rows) if r[7]), "")
    platform = inv.get("platform") or (
        "macOS" if model.startswith("Mac") else
        "iOS" if model.startswith("iPhone") else "iPadOS" if model.startswith("iPad") else "")
    group = inv.get("group") or next((r[6] for r in reversed(rows) if r[6]), "")
    zone = inv.get("time_zone") or next((r[5] for r in reversed(rows) if r[5]), "") or None

    # not-reporting is every silent device's, whatever its classification
    seen = max([t for t in (times[-1] if times else None, lci) if t is not None], default=None)
    silent = seen is None or seen <= as_of - STALE_AFTER
    reports = {"not-reporting"} if silent else set()

    if status in ("Incompatible", "Excluded"):
        return ("out-of-scope", "", reports)

    # How the update is enforced: DDM from these versions on (Apple's schema
    # of the enforcement declaration); below them, and on watchOS, the
    # legacy way, whose deadline the target's enforcement zone decides.
    floor = {"macOS": "14", "iOS": "17", "iPadOS": "17", "tvOS": "18.4",
             "visionOS": "26"}.get(platform)
    legacy = platform == "watchOS" or (
        version is not None and floor is not None and vcmp(version, parse_version(floor)) < 0)

    # A pending version the device reports outranks the configured targets
    # only while the device is below it (a satisfied one is stale).
    dev_t = next(((r[3], r[4], "") for r in reversed(rows) if r[3] and r[4]), None)
    dev_met = dev_t and (vcmp(version, parse_version(dev_t[0])) >= 0 if version is not None
                         else status == "Pass")
    level = [dev_t] if dev_t and not dev_met else []
    for pick in (lambda t: t["serial_number"] == serial,
                 lambda t: not t["serial_number"] and t["group"] == group,
                 lambda t: not t["serial_number"] and t["group"] == "*"):
        if level:
            break
        level = [(t["target_os_version"], t["target_local_datetime"],
                  t.get("enforcement_time_zone", ""))
                 for t in targets if t["platform"] == platform and pick(t)]
    if not level and dev_t:
        level = [dev_t]   # only the stale pending version: met
    if not level:
        return ("no-target", "", reports)

    if version is None:
        if status == "Pass":
            return ("compliant", "", reports)
        unmet = level
    else:
        unmet = [t for t in level if vcmp(version, parse_version(t[0])) < 0]
        if not unmet:
            return ("compliant", "", reports)
    first = min(unmet, key=lambda t: t[1])
    wall = datetime.strptime(first[1], "%Y-%m-%dT%H:%M:%S")
    if legacy and first[2]:
        zone = first[2]

    if zone:
        deadline = wall_to_utc(wall, zone)
        past = as_of >= deadline
        due = deadline - as_of <= DUE_WITHIN
        refs = [deadline]
    else:
        latest = wall.replace(tzinfo=UTC) + timedelta(hours=12)    # UTC-12 reading
        earliest = wall.replace(tzinfo=UTC) - timedelta(hours=14)  # UTC+14 reading
        past = as_of >= latest
        due = earliest <= as_of + DUE_WITHIN
        refs = [latest, earliest]

    # below target and in scope from here on: the other criteria
    stuck = False
    if status == "Downloading":
        start = None
        for r in reversed(rows):
            if map_status(r[1]) != "Downloading":
                break
            start = r[0]
        stuck = start <= as_of - STUCK_AFTER
    reports |= {name for name, met in (("past-deadline", past), ("errors", status == "Error"),
                                       ("stuck-downloading", stuck),
                                       ("due-soon", due and not past)) if met}

    if past:
        kinds = set()
        for ref in refs:
            # seen after the deadline: a report, or the inventory's last
            # check-in (the first sign of life after it was no later)
            after = sorted([t for t in times if t >= ref] +
                           ([lci] if lci is not None and lci >= ref else []))
            if not after:
                kinds.add("offline-at-deadline")
            elif not legacy and as_of - after[0] < ENFORCEMENT_HOUR:
                kinds.add("enforcement-hour")
            else:
                kinds.add("enforcement-failed")
        # With no zone the sample data is built so that the reading does not matter.
        assert len(kinds) == 1, "enforcement depends on the no-zone reading: " + serial
        return ("past-deadline", kinds.pop(), reports)
    if status == "Error":
        return ("error", "", reports)
    if stuck:
        return ("stuck-downloading", "", reports)
    if silent:
        return ("not-reporting", "", reports)
    if due:
        return ("due-soon", "", reports)
    return ("in-progress", "", reports)


# --------------------------------------------------------------------------

ORDER = ["out-of-scope", "no-target", "compliant", "past-deadline", "error",
         "stuck-downloading", "not-reporting", "due-soon", "in-progress"]


def write_readme(samples, devices, result, bad_lines, skipped, kandji_other):
    counts = Counter(c for c, _ in result.values())
    enf = Counter(e for _, e in result.values() if e)
    plat = Counter(d.platform for d in devices)
    ddm = {k: [d for d in devices if d.ddm == k] for k in ("webhook", "raw")}
    ddm_files = len(os.listdir(os.path.join(samples, "status", "ddm-reports")))

    def plat_counts(devs):
        c = Counter(d.platform for d in devs)
        return "%d macOS, %d iOS" % (c["macOS"], c["iOS"])

    lines = [
        "# Sample fleet",
        "",
        "Generated by `tests/gen_samples.py` (deterministic; do not edit by hand, re-run",
        "`/usr/bin/python3 tests/gen_samples.py`). A fictional company of %d Apple devices"
        % len(devices),
        "(%d macOS, %d iOS, %d iPadOS) in late November 2026, enforcing macOS/iOS/iPadOS 26.1"
        % (plat["macOS"], plat["iOS"], plat["iPadOS"]),
        "with DDM. Run it with `--as-of 2026-11-26T12:00:00Z` and default settings over",
        "all of `samples/`; the expected classification of every device is in",
        "`tests/expected/samples-classification.csv`.",
        "",
        "## Files",
        "",
        "- `inventory.csv` - canonical inventory: one row per device, with group,",
        "  time zone (empty for ~5%), last check-in and the OS version known at that",
        "  check-in (it may lag the status exports). A few rows have no platform",
        "  (inferred from the model); one iPad has never checked in.",
        "- `targets.csv` - canonical targets: macOS `*` 26.0.1 (2026-11-10T17:00) and",
        "  26.1 (2026-11-25T17:00), macOS Engineering 26.1 (2026-11-24T09:00), one",
        "  executive's Mac by serial (2026-12-01T12:00), iOS `*` 26.1 (2026-11-27T09:00),",
        "  iPadOS 26.1 (2026-12-04T18:00) per group; Retail Kiosks iPads have no target.",
        "- `status/kandji-2026-11-2{3,4,5,6}.csv` - Kandji reporting-script exports",
        "  (CRLF, upper-case statuses, no OS version) for the Macs and iPads of",
        "  Engineering, Finance and Executives, exported ~01:00Z with each device's",
        "  latest report of the previous day. The Managed OS items have Kandji's",
        "  types `macos-release` and `ipados-release`; %d rows of other library items"
        % kandji_other,
        "  (a `custom-app` and a `profile` per device, PASS or ERROR with an install",
        "  log) are skipped and counted, never read as the OS's status.",
        "- `status/mdm-export-2026-11-2{3,4,5,6}.csv` - canonical status exports from the",
        "  second MDM (every iPhone, other groups' Macs and iPads); mixed-case and DDM",
        "  status words, some `+09:00` timestamps, a few device-reported deadlines.",
        "- `status/mdm-export-2026-11-26-midday.csv` - a late export at 12:10Z; one row",
        "  (reported 12:04:31Z) is after the as-of time and must be ignored.",
        "- `status/nanomdm-webhook-2026-11-2{2,3,4,5,6}.ndjson` - the NanoMDM webhook log",
        "  (one event per line, one file per UTC day, the last copied at 12:10Z) of %d"
        % len(ddm["webhook"]),
        "  Macs and iPhones (%s) that moved from the second MDM to NanoMDM + KMFDDM:"
        % plat_counts(ddm["webhook"]),
        "  each `mdm.DeclarativeManagement` check-in to the `status` endpoint carries the",
        "  device's DDM status report (Base64 JSON in the Base64 plist). The first report",
        "  and a daily full report carry the serial; incremental ones only the UDID, so",
        "  the serial is learned from an earlier report. %d events are not status reports"
        % skipped,
        "  (`tokens` and `declaration-items` check-ins, `mdm.Connect`, `mdm.Authenticate`,",
        "  `mdm.TokenUpdate`): skipped and counted, not rejected.",
        "- `status/ddm-reports/` - %d raw DDM status reports as KMFDDM captures them"
        % ddm_files,
        "  (`<enrollment-id>.<YYYYMMDD-HHMMSS>.<usec>.status.json`, time from the name, UTC)",
        "  from %d more of those devices (%s): a full report on the first day and about"
        % (len(ddm["raw"]), plat_counts(ddm["raw"])),
        "  once a day, incremental reports (only `softwareupdate` items, no serial)",
        "  between. `install-state` is mapped none/waiting -> Pending, downloading ->",
        "  Downloading, prepared -> Cached, installing -> Installing, failed -> Error; the",
        "  OS version is `device.operating-system.version` + `supplemental.extra-version`;",
        "  a `pending-version` with a `target-local-date-time` is the device's own deadline",
        "  (one without is ignored). Several captures are byte-identical to an earlier one",
        "  of the same device (the same state reported again on another day).",
        "  Each of these devices is in exactly one source: never in the CSV exports.",
        "",
        "## Traps",
        "",
        "- `status/mdm-export-2026-11-25.csv` was exported with a 36-hour window: its first",
        "  12 rows repeat rows of `mdm-export-2026-11-24.csv` and must not be counted twice.",
        "- Deliberately bad rows:",
    ]
    for what, where in bad_lines.items():
        lines.append("  - `%s`: %s" % (where, what))
    lines += [
        "  The first two are rejected (they appear in the `rejected` report); the",
        "  `Snoozed` row is kept with status Unknown.",
        "",
        "## Expected classifications (as of 2026-11-26T12:00:00Z)",
        "",
    ]
    for c in ORDER:
        lines.append("- %s: %d" % (c, counts[c]))
    lines.append("- enforcement: " + ", ".join("%s %d" % (e, enf[e]) for e in
                                               ("offline-at-deadline", "enforcement-hour",
                                                "enforcement-failed")))
    lines += ["", "## Stories", "",
              "Hand-written devices, each showing one rule (the rest are random filler):", ""]
    for d in devices:
        if d.key:
            c, e = result[d.serial]
            src = {"webhook": " [NanoMDM webhook]", "raw": " [raw DDM reports]"}.get(d.ddm, "")
            lines.append("- `%s` %s%s -> %s%s" % (d.serial, d.story, src, c,
                                                 " (%s)" % e if e else ""))
    lines += ["", "## Devices in the DDM sources", "",
              "serial, source, enrollment id, expected classification:", ""]
    for d in sorted((d for d in devices if d.ddm), key=lambda d: (d.ddm, d.serial)):
        c, e = result[d.serial]
        lines.append("- `%s` %s `%s` -> %s%s" % (d.serial, d.ddm, d.enrollment, c,
                                               " (%s)" % e if e else ""))
    with open(os.path.join(samples, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def self_check(devices, result, root):
    problems = []
    for d in devices:
        if d.expect and result[d.serial] != d.expect:
            problems.append("story %s: expected %s, got %s" % (d.key, d.expect, result[d.serial]))
    counts = Counter(c for c, _ in result.values())
    for c in ORDER:
        if counts[c] < 3:
            problems.append("classification %s occurs %d times" % (c, counts[c]))
    enf = Counter(e for _, e in result.values() if e)
    for e in ("offline-at-deadline", "enforcement-hour", "enforcement-failed"):
        if not enf[e]:
            problems.append("enforcement %s never occurs" % e)
    size = 0
    for dp, _, fns in os.walk(os.path.join(root, "samples")):
        size += sum(os.path.getsize(os.path.join(dp, f)) for f in fns)
    if size >= 1_000_000:
        problems.append("samples/ is %d bytes" % size)
    return problems, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    if args.check:
        tmp = tempfile.mkdtemp(prefix="gen_samples.")
        try:
            generate(tmp)
            differ = []
            for dp, _, fns in os.walk(tmp):
                for fn in fns:
                    rel = os.path.relpath(os.path.join(dp, fn), tmp)
                    mine = os.path.join(args.root, rel)
                    if not os.path.exists(mine) or not filecmp.cmp(os.path.join(dp, fn), mine,
                                                                   shallow=False):
                        differ.append(rel)
            for rel in differ:
                print("gen_samples: %s is out of date" % rel, file=sys.stderr)
            return 1 if differ else 0
        finally:
            shutil.rmtree(tmp)

    devices, result, bad_lines = generate(args.root)
    problems, size = self_check(devices, result, args.root)
    counts = Counter(c for c, _ in result.values())
    enf = Counter(e for _, e in result.values() if e)
    print("%d devices, samples/ %d bytes" % (len(result), size))
    for c in ORDER:
        print("  %-18s %3d" % (c, counts[c]))
    for e in ("offline-at-deadline", "enforcement-hour", "enforcement-failed"):
        print("    %-20s %3d" % (e, enf[e]))
    for what, where in bad_lines.items():
        print("bad row: %s: %s" % (where, what))
    for p in problems:
        print("gen_samples: error: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
