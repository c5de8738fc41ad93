#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Verify an access_governance evidence pack against a database, without Odoo.

    scripts/verify_evidence_pack.py PACK.zip --db DBNAME
    scripts/verify_evidence_pack.py PACK.zip --dsn "host=... dbname=... user=..."

Connection: --dsn, or --db with the usual libpq variables (PGHOST, PGPORT,
PGUSER, PGPASSWORD); read-only queries only. Checks that every file of the
pack matches its manifest and that the audit trail still contains, unchanged,
every entry up to the chain head the pack recorded; names the first entry
missing or altered. Exit status: 0 intact, 1 altered, 2 unreadable pack or
connection failure. Needs Python 3.10+ and psycopg2.
"""

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULE = HERE.parent / "access_governance" / "tools" / "evidence_pack.py"


def load_verifier(path=MODULE):
    """The addon's Odoo-free verification module, loaded by file path."""
    spec = importlib.util.spec_from_file_location("ag_evidence_pack", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pack", help="the evidence pack (ZIP)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="database name (libpq variables for the rest)")
    where.add_argument("--dsn", help="libpq connection string")
    return parser.parse_args(argv)


def run(argv, cursor=None, out=sys.stdout):
    """Verify; print the outcome; return the exit status. ``cursor``: an
    open DB-API cursor to use instead of connecting (tests)."""
    args = parse_args(argv)
    verifier = load_verifier()
    try:
        data = Path(args.pack).read_bytes()
    except OSError as error:
        print(f"Cannot read {args.pack}: {error}", file=out)
        return 2
    connection = None
    if cursor is None:
        import psycopg2

        try:
            connection = psycopg2.connect(args.dsn or f"dbname={args.db}")
        except psycopg2.Error as error:
            print(f"Cannot connect to the database: {error}".strip(), file=out)
            return 2
        connection.set_session(readonly=True)
        cursor = connection.cursor()
    try:
        result = verifier.verify_pack(data, cursor)
    finally:
        if connection is not None:
            connection.close()
    print(f"Pack SHA-256: {result['pack_sha256']}", file=out)
    manifest = result["manifest"]
    if manifest is None:
        print(f"NOT AN EVIDENCE PACK: {result['message']}", file=out)
        return 2
    head = manifest["audit_head"]
    print(
        f"Period {manifest['period']['from_utc']} to {manifest['period']['to_utc']}, "
        f"database {manifest.get('database')}, audit chain head #{head['sequence']} "
        f"{head['hash']}",
        file=out,
    )
    print(result["message"], file=out)
    print("INTACT" if result["ok"] else "ALTERED", file=out)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
