#!/usr/bin/python3
"""The benchmark's reference for `ddmreport run`: the pandas script an admin
would write instead.

usage: pandas_ref.py STATUS.csv INVENTORY.csv TARGETS.csv AS_OF OUTDIR

Reads the status export, the inventory and the targets; keeps each device's
latest report; picks its target (serial, else group, else the platform's
'*'); turns the local deadline into UTC in the device's zone (none: the
conservative UTC-12); compares versions numerically; writes every device and
the past-deadline rows to CSV and to one XLSX workbook (pandas' default
xlsxwriter engine).  Run by tests/bench/bench.py only.
"""
import os
import sys

import pandas as pd


def version_key(s):
    """Versions as a sortable integer (up to 3 components of < 1000)."""
    parts = s.fillna("").str.extract(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?")
    parts = parts.fillna("0").astype("int64")
    return parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]


def main():
    status, inventory, targets, as_of, out = sys.argv[1:6]
    as_of = pd.Timestamp(as_of)
    os.makedirs(out, exist_ok=True)
    st = pd.read_csv(status, dtype=str, keep_default_na=False)
    inv = pd.read_csv(inventory, dtype=str, keep_default_na=False)
    tg = pd.read_csv(targets, dtype=str, keep_default_na=False)

    st["reported_at"] = pd.to_datetime(st["reported_at"], utc=True, errors="coerce",
                                       format="%Y-%m-%dT%H:%M:%SZ")
    st = st.dropna(subset=["reported_at"])
    st = st[st["reported_at"] <= as_of]
    st = st.sort_values("reported_at").drop_duplicates("serial_number", keep="last")
    dev = inv.merge(st[["serial_number", "status", "reported_at", "os_version", "platform",
                        "group", "time_zone", "failure_reason"]],
                    on="serial_number", how="outer", suffixes=("_inv", ""))
    for col in ("platform", "group", "time_zone", "os_version"):
        inv_col = dev[col + "_inv"].replace("", pd.NA)
        dev[col] = inv_col.fillna(dev[col])
        dev = dev.drop(columns=[col + "_inv"])

    cols = ["target_os_version", "target_local_datetime"]
    by_serial = tg[tg["serial_number"] != ""][["serial_number"] + cols]
    by_group = tg[(tg["serial_number"] == "") & (tg["group"] != "*")][["platform", "group"] + cols]
    by_all = tg[(tg["serial_number"] == "") & (tg["group"] == "*")][["platform"] + cols]
    # The earliest deadline within a scope.
    by_group = by_group.sort_values("target_local_datetime").drop_duplicates(["platform", "group"])
    by_all = by_all.sort_values("target_local_datetime").drop_duplicates(["platform"])
    dev = dev.merge(by_serial, on="serial_number", how="left")
    dev = dev.merge(by_group, on=["platform", "group"], how="left", suffixes=("", "_g"))
    dev = dev.merge(by_all, on="platform", how="left", suffixes=("", "_a"))
    for c in cols:
        dev[c] = dev[c].fillna(dev[c + "_g"]).fillna(dev[c + "_a"])
        dev = dev.drop(columns=[c + "_g", c + "_a"])

    local = pd.to_datetime(dev["target_local_datetime"], format="%Y-%m-%dT%H:%M:%S",
                           errors="coerce")
    deadline = pd.Series(pd.NaT, index=dev.index, dtype="datetime64[ns, UTC]")
    zone = dev["time_zone"].fillna("")
    for z, idx in zone.groupby(zone).groups.items():
        wall = local.loc[idx]
        if z:
            deadline.loc[idx] = (wall.dt.tz_localize(z, ambiguous=True,
                                                     nonexistent="shift_forward")
                                 .dt.tz_convert("UTC"))
        else:
            deadline.loc[idx] = (wall + pd.Timedelta(hours=12)).dt.tz_localize("UTC")
    dev["deadline_utc"] = deadline
    below = version_key(dev["os_version"]) < version_key(dev["target_os_version"])
    scoped = ~dev["status"].isin(["Incompatible", "Excluded"])
    dev["past_deadline"] = dev["target_os_version"].notna() & scoped & below & (deadline < as_of)
    past = dev[dev["past_deadline"]].sort_values(["deadline_utc", "serial_number"])

    for frame in (dev, past):
        for c in ("reported_at", "deadline_utc"):
            frame[c] = frame[c].dt.tz_localize(None)
    dev.to_csv(os.path.join(out, "devices.csv"), index=False)
    past.to_csv(os.path.join(out, "past-deadline.csv"), index=False)
    with pd.ExcelWriter(os.path.join(out, "report.xlsx"), engine="xlsxwriter") as w:
        dev.to_excel(w, sheet_name="devices", index=False)
        past.to_excel(w, sheet_name="past-deadline", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
