# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Verification of an evidence pack against a database, without Odoo.

Shared by the *Verify Evidence Pack* wizard and by
``scripts/verify_evidence_pack.py`` (which loads this file by path, so an
auditor can check a pack with Python and psycopg2 only). It recomputes the
audit chain independently of the addon's own code: the canonical JSON and the
versioned SHA-256 below are the documented format of the trail
(``models/access_governance_audit.py``; a test keeps both in step).

A pack is a ZIP with ``manifest.json``::

    {"format": "access_governance.evidence_pack/1",
     "audit_head": {"sequence": N, "hash": "$1$..."},
     "files": [{"name": "...", "sha256": "...", "size": 123}, ...], ...}

Verification: every file listed is in the ZIP with that SHA-256 and nothing
else is; and the database's trail still holds, unchanged, every entry from #1
up to #N, ending with the hash the pack recorded. The first entry that is
missing, altered or relinked is named.
"""

import hashlib
import io
import json
import zipfile

PACK_FORMAT = "access_governance.evidence_pack/1"
MANIFEST = "manifest.json"
HASH_PREFIX = "$1$"
HASHED_FIELDS = (
    "sequence",
    "date",
    "event",
    "actor_uid",
    "actor_login",
    "user_uid",
    "user_login",
    "user_name",
    "group_names",
    "res_model",
    "res_id",
    "record_name",
    "description",
    "details",
)
INT_FIELDS = ("sequence", "actor_uid", "user_uid", "res_id")
BATCH = 5000


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def canonical(values):
    """Canonical JSON of an audit entry (keys sorted, no spaces, dates as
    ``YYYY-MM-DD HH:MM:SS``)."""
    result = {}
    for name in HASHED_FIELDS:
        value = values.get(name)
        if name in INT_FIELDS:
            value = int(value or 0)
        elif name == "date":
            value = value.strftime("%Y-%m-%d %H:%M:%S") if value else ""
        else:
            value = value or ""
        result[name] = value
    return json.dumps(result, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(previous, values):
    payload = (previous or "") + canonical(values)
    return HASH_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def read_pack(data):
    """``(manifest, problems)`` of a pack's bytes: the manifest (or None
    when unreadable) and what does not match it, in words."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None, ["The file is not a ZIP archive."]
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names:
            return None, ["The archive has no manifest.json: not an evidence pack."]
        try:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
        except ValueError:
            return None, ["manifest.json is not valid JSON."]
        if manifest.get("format") != PACK_FORMAT or "audit_head" not in manifest:
            return None, [f"Unknown pack format {manifest.get('format')!r}."]
        problems = []
        listed = set()
        for item in manifest.get("files", []):
            name = item.get("name")
            listed.add(name)
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing.")
            elif sha256_hex(archive.read(name)) != item.get("sha256"):
                problems.append(f"{name}: its SHA-256 differs from the manifest.")
        for name in sorted(names - listed - {MANIFEST}):
            problems.append(f"{name}: not listed in the manifest.")
    return manifest, problems


def verify_trail(cr, head_sequence, head_hash):
    """Recompute the chain from #1 to ``head_sequence`` with the DB-API
    cursor ``cr``. Returns ``{"ok", "checked", "sequence", "id", "reason"}``
    (``sequence`` / ``id``: the first entry missing or altered)."""
    columns = ["id", "previous_hash", "hash", *HASHED_FIELDS]
    query = (
        "SELECT {} FROM access_governance_audit "
        "WHERE sequence > %s AND sequence <= %s ORDER BY sequence LIMIT %s"
    ).format(", ".join(columns))
    previous, expected, checked = "", 1, 0
    while expected <= head_sequence:
        cr.execute(query, (expected - 1, head_sequence, BATCH))
        rows = cr.fetchall()
        if not rows:
            break
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            seq = values["sequence"]
            if seq != expected:
                return _broken(
                    checked,
                    expected,
                    None,
                    f"Entry #{expected} is missing: it was deleted.",
                )
            checked += 1
            if (values["previous_hash"] or "") != previous:
                return _broken(
                    checked,
                    seq,
                    values["id"],
                    f"Entry #{seq} no longer links to entry #{seq - 1}: an "
                    "earlier entry was altered or replaced.",
                )
            digest = entry_hash(previous, values)
            if values["hash"] != digest:
                return _broken(
                    checked,
                    seq,
                    values["id"],
                    f"Entry #{seq} (id {values['id']}, {values['event']}, "
                    f"{values['date']}) was altered: its content no longer "
                    "matches its hash.",
                )
            previous, expected = digest, seq + 1
    if expected <= head_sequence:
        return _broken(
            checked,
            expected,
            None,
            f"Entries #{expected} to #{head_sequence} are missing: they were deleted.",
        )
    if previous != (head_hash or ""):
        return _broken(
            checked,
            head_sequence,
            None,
            f"The trail was rewritten: entry #{head_sequence} no longer has "
            "the hash the pack recorded.",
        )
    return {"ok": True, "checked": checked, "sequence": None, "id": None, "reason": ""}


def _broken(checked, sequence, entry_id, reason):
    return {
        "ok": False,
        "checked": checked,
        "sequence": sequence,
        "id": entry_id,
        "reason": reason,
    }


def verify_pack(data, cr):
    """Verify a pack's bytes against the database of ``cr``. Returns a dict:
    ``ok``, ``pack_sha256``, ``manifest`` (or None), ``file_problems``,
    ``trail`` (see :func:`verify_trail`, or None) and ``message``."""
    manifest, problems = read_pack(data)
    result = {
        "ok": False,
        "pack_sha256": sha256_hex(data),
        "manifest": manifest,
        "file_problems": problems,
        "trail": None,
    }
    if manifest is None:
        result["message"] = " ".join(problems)
        return result
    head = manifest["audit_head"]
    trail = verify_trail(cr, int(head.get("sequence") or 0), head.get("hash") or "")
    result["trail"] = trail
    result["ok"] = trail["ok"] and not problems
    lines = []
    if problems:
        lines.append("The pack's files do not match its manifest:")
        lines.extend(f"- {problem}" for problem in problems)
    else:
        lines.append(f"All {len(manifest.get('files', []))} files match the manifest.")
    if trail["ok"]:
        lines.append(
            f"The audit trail still contains, unchanged, every entry up to "
            f"#{head.get('sequence')} ({trail['checked']} entries checked)."
        )
    else:
        lines.append(f"The audit trail changed since the pack: {trail['reason']}")
    result["message"] = "\n".join(lines)
    return result
