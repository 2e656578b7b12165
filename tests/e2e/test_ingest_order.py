"""A status CSV is stored by two routes (src/ingest.c): into an empty
database its rows are appended and the key index built after; onto history
they are staged and inserted in key order.  Either way a report given twice
is stored once (the file's first row wins), a report already stored is a
duplicate, and the counts say so."""
from lib import STATUS_HEADER, sql


def row(serial, status, when, name):
    # serial,status,reported_at,device_name, then 13 empty columns
    return f"{serial},{status},{when},{name}" + "," * 13 + "\n"


def test_duplicates_in_one_file_into_an_empty_database(t):
    f = t.write("a.csv", STATUS_HEADER
                + row("C02ZZ0002", "Pass", "2026-11-20T10:00:00Z", "first")
                + row("C02ZZ0001", "Downloading", "2026-11-20T09:00:00Z", "one")
                + row("C02ZZ0002", "Pass", "2026-11-20T10:00:00Z", "second")
                + row("C02ZZ0002", "Error", "2026-11-20T10:00:00Z", "same second other status"))
    t.ok("ingest", f)
    assert sql(t.db, "SELECT rows_read, rows_stored, rows_duplicate FROM source_file") == "4|3|1\n"
    assert sql(t.db, "SELECT serial_number, status, device_name FROM observation "
                     "ORDER BY 1, 2") == ("C02ZZ0001|Downloading|one\nC02ZZ0002|Error|"
                                          "same second other status\nC02ZZ0002|Pass|first\n")
    # The key is back: the same report again is refused by it.
    assert "observation_status_key" in sql(t.db, "SELECT name FROM sqlite_master "
                                                 "WHERE type = 'index'")
    assert sql(t.db, "SELECT count(*) FROM device") == "2\n"


def test_onto_history_new_duplicate_and_known_reports(t):
    t.ok("ingest", t.write("a.csv", STATUS_HEADER
                           + row("C02ZZ0001", "Pass", "2026-11-20T10:00:00Z", "night 1")))
    f = t.write("b.csv", STATUS_HEADER
                + row("C02ZZ0003", "Pending", "2026-11-21T10:00:00Z", "new first")
                + row("C02ZZ0001", "Pass", "2026-11-20T10:00:00Z", "already stored")
                + row("C02ZZ0003", "Pending", "2026-11-21T10:00:00Z", "new second")
                + row("C02ZZ0001", "Pass", "2026-11-21T10:00:00Z", "night 2"))
    t.ok("ingest", f)
    assert sql(t.db, "SELECT rows_read, rows_stored, rows_duplicate FROM source_file "
                     "WHERE path LIKE '%b.csv'") == "4|2|2\n"
    assert sql(t.db, "SELECT serial_number, reported_at, device_name FROM observation "
                     "ORDER BY 1, 2") == ("C02ZZ0001|1795168800|night 1\n"
                                          "C02ZZ0001|1795255200|night 2\n"
                                          "C02ZZ0003|1795255200|new first\n")
    assert sql(t.db, "SELECT count(*) FROM device") == "2\n"
