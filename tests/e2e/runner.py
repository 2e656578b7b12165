#!/usr/bin/python3
"""End-to-end test runner: runs every test_* function of tests/e2e/test_*.py.

Each test gets a Case (see lib.py) with its own temporary directory.  A test
fails by raising (assert).  Prints "ok NAME" / "FAIL NAME: why" per test and
closes with "e2e: N passed, N failed".  DDM_E2E_FILTER=substring selects
tests by name.
"""
import importlib.util
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lib  # noqa: E402


def main():
    flt = os.environ.get("DDM_E2E_FILTER", "")
    passed = failed = 0
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fn[:-3], os.path.join(HERE, fn))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name in sorted(n for n in dir(mod) if n.startswith("test_")):
            full = f"{fn[:-3]}.{name}"
            if flt and flt not in full:
                continue
            case = lib.Case(full)
            try:
                getattr(mod, name)(case)
            except Exception as e:  # noqa: BLE001 - report every failure
                failed += 1
                tb = traceback.extract_tb(e.__traceback__)
                where = next((f"{os.path.basename(f.filename)}:{f.lineno}"
                              for f in reversed(tb)
                              if os.path.basename(f.filename).startswith("test_")), "?")
                msg = str(e).strip().splitlines()
                print(f"FAIL {full} ({where}): {type(e).__name__}: "
                      f"{msg[0] if msg else ''}")
                for line in msg[1:12]:
                    print(f"     {line}")
            else:
                passed += 1
                print(f"ok {full}")
            finally:
                case.cleanup()
    print(f"e2e: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
