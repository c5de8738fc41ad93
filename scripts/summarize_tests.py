#!/usr/bin/env python3
"""Echo an Odoo test run's log and close it with a pytest-like summary line.

Usage: { odoo ... ; echo "AG_ODOO_EXIT_CODE=$?"; } 2>&1 |
       summarize_tests.py [--log FILE]

Lines read from Odoo 18.0's log (format ``DATE TIME PID LEVEL DB LOGGER: MESSAGE``):

* ``odoo.tests.result: F failed, E error(s) of N tests when loading database 'db'``
  (odoo/service/server.py, text from OdooTestResult.__str__ in odoo/tests/result.py);
  logged at INFO on success, WARNING when no test ran, ERROR on failures.
* ``odoo.tests.stats: <module>: N tests X.XXs Q queries`` (OdooTestResult.log_stats),
  shown per module.
* ``<test logger>: skipped <test> : <reason>`` (OdooTestResult.addSkip); skipped tests
  are part of N. A browser test skipped because Chromium or websocket-client is
  missing did not run: it counts as failed (AG_ALLOW_BROWSER_SKIP=1 to allow it).
* every ERROR / CRITICAL line: when no test failed, they still fail the run (an
  install error, a failing data file, a traceback in a post-install hook...).
* the sentinel ``AG_ODOO_EXIT_CODE=<rc>`` echoed by the caller after Odoo exits.

The last line printed is ``N passed, M failed[, K skipped] in X.XXs`` where M is
failures + errors, plus 1 for a run that is broken without a failing test (ERROR
lines, non-zero exit code of Odoo, no result line, or no test at all), so that
the line never reads as a success for a run that is not one. The exit code is 1
whenever M > 0.
"""

import argparse
import os
import re
import sys
import time

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL|TEST|\w+) "
    r"(?P<db>\S+) (?P<logger>[\w.]+): (?P<msg>.*)$"
)
RESULT = re.compile(
    r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests"
    r"(?: when loading database '(?P<db>[^']*)')?"
)
STATS = re.compile(
    r"^(?P<module>\S+): (?P<n>\d+) tests (?P<secs>[\d.]+)s (?P<queries>\d+) queries"
)
SKIP = re.compile(r"^skipped (?P<test>.*?) : (?P<reason>.*)$")
BROWSER_SKIP = re.compile(
    r"websocket-client module is not installed|not found$|chrome|Chrome|devtools",
)
SENTINEL = re.compile(r"^AG_ODOO_EXIT_CODE=(?P<rc>-?\d+)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Summary:
    def __init__(self, allow_browser_skip=False):
        self.allow_browser_skip = allow_browser_skip
        self.results = []  # (failed, errors, run) per odoo.tests.result line
        self.stats = []
        self.skipped = []
        self.browser_skips = []
        self.error_lines = []
        self.odoo_rc = None

    def feed(self, line):
        """Read one log line (without ANSI codes); False for the sentinel line."""
        sentinel = SENTINEL.match(line)
        if sentinel:
            self.odoo_rc = int(sentinel["rc"])
            return False
        match = LOG_LINE.match(line)
        if not match:
            return True
        level, logger, msg = match["level"], match["logger"], match["msg"]
        if level in ("ERROR", "CRITICAL"):
            self.error_lines.append(line)
        if logger == "odoo.tests.result":
            result = RESULT.search(msg)
            if result:
                self.results.append(
                    (int(result["failed"]), int(result["errors"]), int(result["run"]))
                )
        elif logger == "odoo.tests.stats":
            stat = STATS.match(msg)
            if stat:
                self.stats.append(stat.groupdict())
        elif level == "INFO" and SKIP.match(msg):
            skip = SKIP.match(msg)
            self.skipped.append(skip["test"])
            if BROWSER_SKIP.search(skip["reason"]):
                self.browser_skips.append(f"{skip['test']}: {skip['reason']}")
        return True

    def problems(self, failed_or_errors, ran, passed):
        problems = []
        if self.odoo_rc is None:
            problems.append("Odoo's exit code is unknown (no AG_ODOO_EXIT_CODE line)")
        elif self.odoo_rc != 0:
            problems.append(f"Odoo exited with code {self.odoo_rc}")
        if not self.results:
            problems.append("Odoo printed no test result line (odoo.tests.result)")
        elif ran == 0:
            problems.append("0 tests ran: no test was found for the selected tags")
        elif passed == 0 and not failed_or_errors:
            problems.append("every selected test was skipped")
        if self.error_lines and not failed_or_errors:
            problems.append(
                f"{len(self.error_lines)} ERROR/CRITICAL log line(s) "
                "although no test failed"
            )
        if self.browser_skips and not self.allow_browser_skip:
            problems.append(
                f"{len(self.browser_skips)} browser test(s) skipped: Chromium or "
                "websocket-client missing (AG_ALLOW_BROWSER_SKIP=1 to accept)"
            )
        return problems

    def report(self, out, elapsed):
        """Write the summary; return the process exit code."""
        failed_or_errors = sum(r[0] + r[1] for r in self.results)
        ran = sum(r[2] for r in self.results)
        n_skipped = len(self.skipped)
        passed = max(ran - failed_or_errors - n_skipped, 0)
        problems = self.problems(failed_or_errors, ran, passed)

        out.write("\n" + "=" * 30 + " test summary " + "=" * 30 + "\n")
        for stat in self.stats:
            out.write(
                f"odoo.tests.stats {stat['module']}: {stat['n']} timed entries, "
                f"{stat['secs']}s, {stat['queries']} queries\n"
            )
        for line in self.error_lines:
            out.write(f"ERROR LINE: {line[:300]}\n")
        for skip in self.browser_skips:
            out.write(f"BROWSER TEST SKIPPED: {skip}\n")
        for problem in problems:
            out.write(f"FAILED RUN: {problem}\n")

        n_failed = failed_or_errors + (1 if problems and not failed_or_errors else 0)
        summary = f"{passed} passed, {n_failed} failed"
        if n_skipped:
            summary += f", {n_skipped} skipped"
        out.write(f"{summary} in {elapsed:.2f}s\n")
        out.flush()
        return 1 if n_failed or problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", help="also write the full log to this file")
    args = parser.parse_args()

    started = time.monotonic()
    summary = Summary(os.environ.get("AG_ALLOW_BROWSER_SKIP") == "1")
    log_file = open(args.log, "w", encoding="utf-8") if args.log else None  # noqa: SIM115
    try:
        for raw in sys.stdin:
            if not summary.feed(ANSI.sub("", raw.rstrip("\n"))):
                continue
            sys.stdout.write(raw)
            sys.stdout.flush()
            if log_file:
                log_file.write(raw)
    finally:
        if log_file:
            log_file.close()
    return summary.report(sys.stdout, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())
