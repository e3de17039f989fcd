"""`colorizer keys`: create, list and revoke the gateway's API keys (GATEWAY_AUTH=keys).

    colorizer keys create --name archive --quota 500/day --rate 10/min   # prints the key, once
    colorizer keys list
    colorizer keys revoke 3f9a0c2e7b1d4a56

The gateway (gateway/src/apiKeys.js) reads what this writes; the shared format, and
where it lives (GATEWAY_KEYS_FILE, else the Redis of GATEWAY_REDIS_URL), is described
once, in docs/api-keys.md. Only a key's SHA-256 is stored: the key itself is printed
once and kept nowhere.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

FILE_FORMAT = 1
KEY_PREFIX = "clr_"
ID_BYTES = 8  # 16 hex digits: public, in logs
SECRET_BYTES = 32  # 43 base64url characters: 256 bits
# Where the keys live, read as the gateway reads it: its settings' variables and defaults.
# gateway/src/config.js (SETTINGS) declares them; this is the one Python copy, and
# tests/cli/test_keys.py checks it against that source. Flag name -> (variable, default).
GATEWAY_SETTINGS: dict[str, tuple[str, str | None]] = {
    "keys_file": ("GATEWAY_KEYS_FILE", None),
    "redis_url": ("GATEWAY_REDIS_URL", None),
    "redis_key_prefix": ("GATEWAY_REDIS_KEY_PREFIX", "colorizer:"),
}

Record = dict[str, Any]


def new_key() -> tuple[str, str]:
    """A fresh (key id, whole key)."""
    key_id = secrets.token_hex(ID_BYTES)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"


def key_digest(key: str) -> str:
    """What is stored instead of the key: SHA-256 of the whole key, 64 hex digits."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _limit(unit: str) -> Any:
    """An argparse type for "N" or "N/<unit>" (a positive integer)."""

    def parse(text: str) -> int:
        match = re.fullmatch(rf"\s*(\d+)\s*(?:/\s*{unit})?\s*", text)
        if not match or int(match[1]) < 1:
            raise argparse.ArgumentTypeError(f"expected a positive number, optionally as N/{unit}, got {text!r}")
        return int(match[1])

    return parse


class KeyStore(Protocol):
    def all(self) -> dict[str, Record]: ...
    def put(self, key_id: str, record: Record) -> None: ...
    def describe(self) -> str: ...


class KeyFile:
    """The keys file: {"format": 1, "keys": {id: record}}, replaced whole by a rename (never half-written)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Two `keys` commands at once must not lose each other's change.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def all(self) -> dict[str, Record]:
        if not self.path.exists():
            return {}
        document = json.loads(self.path.read_text(encoding="utf-8"))
        if document.get("format") != FILE_FORMAT or not isinstance(document.get("keys"), dict):
            raise SystemExit(f"colorizer keys: {self.path} is not a keys file of format {FILE_FORMAT}")
        return dict(document["keys"])

    def put(self, key_id: str, record: Record) -> None:
        with self._locked():
            keys = self.all()
            keys[key_id] = record
            text = json.dumps({"format": FILE_FORMAT, "keys": keys}, indent=2, sort_keys=True) + "\n"
            handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o600)  # digests only, but nobody else's business
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)


class RedisKeys:
    """The Redis hash <prefix>apikeys: field = key id, value = the record as JSON."""

    def __init__(self, url: str, prefix: str) -> None:
        try:
            import redis
        except ImportError:
            raise SystemExit(
                "colorizer keys: keys in Redis need the redis package: pip install 'lab-colorizer[keys]'"
            ) from None
        self.url = url
        self.hash = f"{prefix}apikeys"
        self.client = redis.Redis.from_url(url, socket_timeout=10, decode_responses=True)

    def describe(self) -> str:
        # Never the password of the URL.
        return f"redis hash {self.hash} ({re.sub(r'//[^@/]*@', '//***@', self.url)})"

    def all(self) -> dict[str, Record]:
        entries: dict[str, str] = self.client.hgetall(self.hash)  # type: ignore[assignment]  # decode_responses=True
        return {key_id: json.loads(value) for key_id, value in entries.items()}

    def put(self, key_id: str, record: Record) -> None:
        self.client.hset(self.hash, key_id, json.dumps(record, sort_keys=True))


def open_store(args: argparse.Namespace) -> KeyStore:
    """The same rule as the gateway's: a keys file when one is named, else Redis (docs/api-keys.md)."""
    if args.keys_file:
        return KeyFile(Path(args.keys_file))
    if args.redis_url:
        return RedisKeys(args.redis_url, args.redis_key_prefix)
    raise SystemExit(
        "colorizer keys: say where the keys live: --keys-file (GATEWAY_KEYS_FILE) or --redis-url (GATEWAY_REDIS_URL)"
    )


def _create(store: KeyStore, args: argparse.Namespace) -> int:
    key_id, key = new_key()
    record = {
        "name": args.name,
        "sha256": key_digest(key),
        "created_at": _now(),
        "revoked_at": None,
        "rate_per_min": args.rate,
        "quota_per_day": args.quota,
    }
    store.put(key_id, record)
    if args.json:
        print(json.dumps({"id": key_id, "key": key, **{k: v for k, v in record.items() if k != "sha256"}}))
    else:
        print(key)
        print(
            f"key id {key_id} ({args.name}) in {store.describe()}. The key above is shown only now: "
            "keep it somewhere safe, only its hash is stored.",
            file=sys.stderr,
        )
    return 0


def _list(store: KeyStore, args: argparse.Namespace) -> int:
    keys = store.all()
    rows = [
        {"id": key_id, **{k: v for k, v in record.items() if k != "sha256"}}
        for key_id, record in sorted(keys.items(), key=lambda item: str(item[1].get("created_at")))
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no keys in {store.describe()}")
        return 0
    print(f"{'id':<16}  {'name':<20}  {'rate/min':>8}  {'quota/day':>9}  {'created':<20}  status")
    for row in rows:
        status = f"revoked {row['revoked_at']}" if row.get("revoked_at") else "active"
        rate = "-" if row.get("rate_per_min") is None else row["rate_per_min"]
        quota = "-" if row.get("quota_per_day") is None else row["quota_per_day"]
        print(f"{row['id']:<16}  {row['name']:<20}  {rate:>8}  {quota:>9}  {row['created_at']:<20}  {status}")
    return 0


def _revoke(store: KeyStore, args: argparse.Namespace) -> int:
    # A whole key pasted by mistake is accepted too: its id is the part that names it.
    match = re.fullmatch(rf"(?:{KEY_PREFIX})?([0-9a-f]{{16}})(?:_.*)?", args.key_id.strip())
    keys = store.all()
    if not match or match[1] not in keys:
        print(f"colorizer keys revoke: no key with id {args.key_id!r} in {store.describe()}", file=sys.stderr)
        return 1
    key_id = match[1]
    record = keys[key_id]
    if record.get("revoked_at"):
        message = f"key id {key_id} ({record['name']}) was already revoked at {record['revoked_at']}"
    else:
        record = {**record, "revoked_at": _now()}
        store.put(key_id, record)
        message = f"key id {key_id} ({record['name']}) revoked: every gateway refuses it from its next request"
    print(json.dumps({"id": key_id, "revoked_at": record["revoked_at"]}) if args.json else message)
    return 0


def build_parser(prog: str = "colorizer keys") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Create, list and revoke the gateway's API keys (for GATEWAY_AUTH=keys). "
        "The format they share with the gateway: docs/api-keys.md.",
    )
    where = argparse.ArgumentParser(add_help=False)
    helps = {
        "keys_file": "the gateway's keys file; wins over --redis-url",
        "redis_url": "keys in this Redis instead, as the gateways with that Redis read them",
        "redis_key_prefix": "the gateways' Redis key prefix",
    }
    for name, (variable, fallback) in GATEWAY_SETTINGS.items():
        where.add_argument(
            "--" + name.replace("_", "-"),
            default=os.environ.get(variable) or fallback,
            help=f"{helps[name]} (default: ${variable}" + (f", else {fallback})" if fallback else ")"),
        )
    where.add_argument("--json", action="store_true", help="machine-readable output")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{create,list,revoke}")
    create = commands.add_parser(
        "create", parents=[where], help="make a key and print it (once)", description="Make a key and print it once."
    )
    create.add_argument("--name", required=True, help="who or what the key is for (shown by list)")
    create.add_argument(
        "--quota", type=_limit("day"), default=None, metavar="N/day", help="colorizations per day (default: none)"
    )
    create.add_argument(
        "--rate", type=_limit("min"), default=None, metavar="N/min", help="colorizations per minute (default: none)"
    )
    commands.add_parser("list", parents=[where], help="every key: id, name, limits, status (never the key)")
    revoke = commands.add_parser(
        "revoke", parents=[where], help="revoke a key by its id: refused at once by every gateway"
    )
    revoke.add_argument("key_id", help="the key's id (16 hex digits, from list or create)")
    return parser


def main(argv: list[str] | None = None, prog: str = "colorizer keys") -> int:
    args = build_parser(prog).parse_args(argv)
    store = open_store(args)
    run = {"create": _create, "list": _list, "revoke": _revoke}[args.command]
    return run(store, args)


if __name__ == "__main__":
    sys.exit(main())
