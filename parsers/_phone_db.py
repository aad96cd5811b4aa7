"""Shared by the phone-database parsers (Android, iOS, WhatsApp SQLite files).

Why a shared module: every one of these parsers must open an evidence database the
same careful way, and say the same things about it. Before SQLite sees the file:

* a file that cannot be read at all (permissions, a lock held by another program on
  a platform that enforces locks) is a :class:`FormatError` naming the file;
* a file without the ``SQLite format 3`` header whose bytes look random is reported
  as *encrypted* (SQLCipher, a WhatsApp ``.crypt14`` backup), not as "unknown";
* a file shorter than the page count its own header declares is *truncated* (a
  partial copy), refused rather than read short;
* a ``-wal`` or hot ``-journal`` beside the file is read with it as one source, on a
  temporary copy (:mod:`parsers._sqlite`): the WAL's committed transactions are applied,
  a half-written transaction is rolled back, the originals never change, and the notes
  say what the companions changed;
* a database that fails ``PRAGMA quick_check`` is refused with SQLite's reasons.

It also holds the identifier helpers the WhatsApp and iOS parsers share (a WhatsApp
JID is a phone number, a group, or a hidden "lid"), and small query helpers that
select only the columns a given schema version has (ALEAPP's trackers are full of
breakages when a provider added or dropped a column: here a missing column is NULL).
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from atlas.errors import FormatError
from atlas.model import REJECT_SCHEMA
from atlas.normalise.region import RegionEvidence, choose_region, numbers_in
from parsers._sqlite import SQLITE_MAGIC, companions, open_database, read_schema
from parsers.base import ParseContext, sqlite_frame


def _entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte: ~8 for encrypted or compressed data."""
    if not data:
        return 0.0
    counts = Counter(data)
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def check_database_file(path: Path) -> list[str]:
    """Refuse unreadable, encrypted or truncated files; return notes.

    The notes are assumptions for the source record (e.g. an empty WAL beside it).
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(
            f"{path}: cannot be read ({exc.strerror or exc}); the file may be locked by another program "
            "or its permissions deny reading: copy it (with its -wal/-journal files) and ingest the copy"
        ) from exc
    if not head.startswith(SQLITE_MAGIC):
        entropy = _entropy(head)
        if entropy > 7.5:
            raise FormatError(
                f"{path}: not a plain SQLite database: no 'SQLite format 3' header and the first "
                f"{len(head)} bytes look random ({entropy:.2f} bits/byte), as an encrypted database does "
                "(SQLCipher, a WhatsApp .crypt12/.crypt14/.crypt15 backup); decrypt it with its key first"
            )
        raise FormatError(f"{path}: not a SQLite database (no 'SQLite format 3' header at offset 0)")
    if len(head) < 100:
        raise FormatError(f"{path}: truncated: {len(head)} bytes, shorter than the 100-byte SQLite header")
    raw_page = int.from_bytes(head[16:18], "big")
    page_size = 65536 if raw_page == 1 else raw_page
    if page_size < 512 or page_size & (page_size - 1):
        raise FormatError(
            f"{path}: the SQLite header is damaged (page size field {raw_page} at offset 16); "
            "the file may be encrypted after its header, or corrupt"
        )
    pages = int.from_bytes(head[28:32], "big")
    header_count_valid = head[24:28] == head[92:96] and pages > 0
    if header_count_valid and size < pages * page_size:
        raise FormatError(
            f"{path}: truncated: the header declares {pages} pages of {page_size} bytes "
            f"({pages * page_size} bytes) but the file has {size} bytes; acquire a complete copy"
        )
    if size % page_size:
        raise FormatError(
            f"{path}: truncated or padded: {size} bytes is not a whole number of {page_size}-byte pages "
            f"(it ends {size % page_size} bytes into page {size // page_size + 1}); acquire a complete copy"
        )
    notes: list[str] = []
    read = {c.role for c in companions(path)}
    for role in ("wal", "journal"):
        side = path.with_name(f"{path.name}-{role}")
        if role in read or not side.is_file():
            continue
        side_size = side.stat().st_size
        if side_size == 0:
            notes.append(f"{side.name} beside the database is empty (0 bytes): nothing was left un-checkpointed"
                         if role == "wal" else f"{side.name} beside the database is empty (0 bytes): nothing to roll back")
        elif role == "wal" and head[18:20] != b"\x02\x02":
            notes.append(f"{side.name} beside the database ({side_size} bytes) was not read: the database's header is "
                         "not in WAL mode, so SQLite would not apply it (it may hold older page images worth carving)")
        else:
            notes.append(f"{side.name} beside the database ({side_size} bytes) has no live header, so SQLite would not "
                         "apply it: not read (it may still hold old page images worth carving)")
    return notes


@contextmanager
def open_evidence(path: Path) -> Iterator[tuple[sqlite3.Connection, list[str]]]:
    """Check the file, then open it read-only with its companions: (connection, notes).

    The notes are assumptions for the source: companions read or ignored, tables this
    SQLite cannot open (not read)."""
    notes = check_database_file(path)
    with open_database(path) as (con, more):
        _, unreadable = read_schema(con, path)
        notes += more
        seen = len(more)
        if unreadable:
            notes.append(f"{len(unreadable)} table(s) this SQLite cannot open were not read: {'; '.join(unreadable)}")
        yield con, notes
    # What is known only once reading is over (text values that were not valid UTF-8), into
    # the same list the parser hands on as the source's assumptions.
    notes += more[seen:]


def table_columns(con: sqlite3.Connection, path: Path) -> dict[str, set[str]]:
    """Table → column names (none for a table this SQLite cannot open), naming the file if the schema cannot be read."""
    return read_schema(con, path)[0]


def has_columns(tables: Mapping[str, set[str]], table: str, *columns: str) -> bool:
    cols = tables.get(table)
    return cols is not None and all(c in cols for c in columns)


def select_sql(tables: Mapping[str, set[str]], table: str, wanted: Mapping[str, str], alias: str | None = None) -> str:
    """``SELECT`` list for ``wanted`` (output name → column), NULL for columns this version lacks."""
    cols = tables.get(table, set())
    prefix = f"{alias}." if alias else ""
    parts = [f'{prefix}"{col}" AS "{out}"' if col in cols else f'NULL AS "{out}"' for out, col in wanted.items()]
    return ", ".join(parts)


def read_frame(con: sqlite3.Connection, path: Path, query: str,
               schema: Mapping[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
    """Run a query into a frame with a fixed schema (empty results keep their columns)."""
    frame = sqlite_frame(con, query, path, schema)
    if frame.width == 0:
        return pl.DataFrame(schema=dict(schema))
    return frame


def text_value(value: object) -> str | None:
    """A TEXT-or-BLOB cell as text (iOS ``ZADDRESS`` may be a BLOB of UTF-8)."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace").rstrip("\x00")
    return str(value)


def require(tables: Mapping[str, set[str]], path: Path, table: str, *columns: str) -> None:
    """A clear error when a database lacks a table/column this format must have."""
    if table not in tables:
        raise FormatError(f"{path}: no '{table}' table; not the database this parser reads (see `atlas formats`)")
    missing = [c for c in columns if c not in tables[table]]
    if missing:
        raise FormatError(f"{path}: table '{table}' lacks column(s) {', '.join(missing)}; unknown schema version")


def rejects(source_id: str, frame: pl.DataFrame, reason: str) -> pl.DataFrame:
    """Rows of ``frame`` (with ``source_ref`` and ``excerpt``) as rejects with one reason."""
    return frame.select(
        pl.lit(source_id).alias("source_id"),
        pl.col("source_ref"),
        pl.lit(reason).alias("reason"),
        pl.col("excerpt").cast(pl.String).str.slice(0, 120),
    ).cast(REJECT_SCHEMA)


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECT_SCHEMA)


# --- WhatsApp identifiers ---------------------------------------------------------

def jid_expr(jid: pl.Expr) -> pl.Expr:
    """A WhatsApp JID column → raw identifier.

    ``447700900002@s.whatsapp.net`` is a phone number (``phone:+447700900002``: a JID
    user is always the international number without '+'); ``…@g.us`` a group
    (``whatsapp-group:``); ``…@lid`` a hidden "linked identity" that does not reveal
    the number (``whatsapp-lid:``); ``…@broadcast`` a broadcast list; anything else is
    kept as ``whatsapp:<jid>``.
    """
    user = jid.str.split("@").list.first()
    return (
        pl.when(jid.is_null() | (jid == "") | (jid == "-1")).then(None)
        .when(jid.str.ends_with("@s.whatsapp.net") | jid.str.ends_with("@c.us"))
        .then(pl.lit("phone:+") + user.str.split(":").list.first().str.split(".").list.first())
        .when(jid.str.ends_with("@g.us")).then(pl.lit("whatsapp-group:") + jid)
        .when(jid.str.ends_with("@lid")).then(pl.lit("whatsapp-lid:") + user)
        .when(jid.str.ends_with("@broadcast")).then(pl.lit("whatsapp-broadcast:") + jid)
        .otherwise(pl.lit("whatsapp:") + jid)
    )


def jid_raw(jid: str | None) -> str | None:
    """The same mapping as :func:`jid_expr`, for one value."""
    if not jid:
        return None
    return pl.select(jid_expr(pl.lit(jid, pl.String))).item()


def phone_or_email(value: pl.Expr) -> pl.Expr:
    """An iOS handle / address-book value → ``email:`` if it has an '@', else ``phone:``."""
    v = value.str.strip_chars()
    return pl.when(v.is_null() | (v == "")).then(None).when(v.str.contains("@")).then(pl.lit("email:") + v).otherwise(
        pl.lit("phone:") + v
    )


def owner_list(owner: str | None) -> pl.Expr:
    """``[owner]`` (or ``[]``) as a list literal."""
    return pl.lit(pl.Series([[owner] if owner else []], dtype=pl.List(pl.String)))


def star_evidence(cards: pl.DataFrame, source_id: str, detail_prefix: str) -> pl.DataFrame:
    """Contact-card evidence: each card's hub (its name, else its first identifier)
    linked to every other identifier on the card.

    ``cards`` has ``source_ref``, ``hub`` (raw identifier), ``ids`` (list of raw
    identifiers) and ``label`` (what the card is called, for the detail line).
    """
    rows = (
        cards.filter(pl.col("hub").is_not_null())
        .explode("ids")
        .filter(pl.col("ids").is_not_null() & (pl.col("ids") != pl.col("hub")))
        .unique(["source_ref", "hub", "ids"], maintain_order=True)
    )
    return rows.select(
        pl.lit(source_id).alias("source_id"),
        pl.col("source_ref"),
        pl.lit("contact-card").alias("basis"),
        pl.col("hub").alias("identifier"),
        pl.col("ids").alias("related"),
        pl.format("{} {}", pl.lit(detail_prefix), pl.col("label")).alias("detail"),
    )


# --- NSKeyedArchiver / typedstream text ------------------------------------------

def typedstream_text(blob: bytes | str | None) -> str | None:
    """The NSString text inside an iOS ``attributedBody`` (a typedstream archive).

    Since iOS 16 Messages often leaves ``message.text`` NULL and keeps the text only
    here. The archive writes the string after the ``NSString`` class name as the
    type code ``+`` (``0x84 0x01 0x2B``) followed by a length: one byte below 0x80,
    ``0x81`` + 2 bytes little-endian, or ``0x82`` + 4 bytes, then UTF-8 bytes.
    """
    if not blob:
        return None
    # SQLite keeps whatever type each value was written with: a column declared BLOB can hold a text,
    # which is read as its UTF-8 bytes (an archive only if it is one)
    data = blob.encode("utf-8", "surrogatepass") if isinstance(blob, str) else bytes(blob)
    start = data.find(b"NSString")
    if start < 0:
        return None
    marker = data.find(b"\x84\x01+", start)
    if marker < 0 or marker - start > 32:
        return None
    pos = marker + 3
    if pos >= len(data):
        return None
    first = data[pos]
    if first == 0x81:
        length, pos = int.from_bytes(data[pos + 1:pos + 3], "little"), pos + 3
    elif first == 0x82:
        length, pos = int.from_bytes(data[pos + 1:pos + 5], "little"), pos + 5
    else:
        length, pos = first, pos + 1
    chunk = data[pos:pos + length]
    if len(chunk) != length:
        return None
    return chunk.decode("utf-8", errors="replace")


def id_gap_note(ids: pl.Series, what: str) -> str | None:
    """Say how many row ids are missing inside a table's id range (rows deleted before acquisition)."""
    ids = ids.drop_nulls()
    if ids.len() < 2:
        return None
    lo, hi = int(ids.min()), int(ids.max())  # type: ignore[arg-type]
    missing = (hi - lo + 1) - ids.n_unique()
    if missing <= 0:
        return None
    sample = sorted(set(range(lo, hi + 1)) - set(ids.to_list()))[:5] if hi - lo < 1_000_000 else []
    shown = f" (e.g. {', '.join(map(str, sample))})" if sample else ""
    return (f"{what}: {missing} id(s) missing between {lo} and {hi}{shown}: rows deleted before acquisition; "
            "their content may survive in the database's free pages (not read here)")


def region_from_numbers(pairs: pl.DataFrame) -> str | None:
    """The region a set of national numbers belongs to, from the same numbers in
    international form (``written``, ``e164_digits``): the digits the international
    form has in front of the national digits are the country calling code.

    A WhatsApp JID is the international number; an address book beside it has the
    number as the owner typed it, often nationally: together they reveal the country.
    """
    import phonenumbers

    if pairs.height == 0:
        return None
    frame = pairs.with_columns(
        pl.col("written").str.replace_all(r"\D", "").str.strip_chars_start("0").alias("national"),
        pl.col("e164_digits").str.replace_all(r"\D", "").alias("intl"),
    ).filter((pl.col("national").str.len_chars() >= 6) & pl.col("intl").str.ends_with(pl.col("national"))
             & (pl.col("intl").str.len_chars() > pl.col("national").str.len_chars()))
    if frame.height == 0:
        return None
    codes = frame.select(pl.col("intl").str.slice(0, pl.col("intl").str.len_chars() - pl.col("national").str.len_chars())
                         .alias("cc")).get_column("cc")
    codes = codes.filter(codes.str.len_chars() <= 3)
    if codes.len() == 0:
        return None
    cc = codes.mode().sort().first()
    region = phonenumbers.region_code_for_country_code(int(str(cc)))
    return None if region in (None, "ZZ", "001") else str(region)


def decide_region(ctx: ParseContext, notes: list[str], *frames: pl.DataFrame | None, imsis: Iterable[str] = (),
                  countries: pl.Series | None = None, countries_from: str = "", same_numbers: str | None = None,
                  same_numbers_from: str = "") -> str:
    """The region for this source's national numbers, from what it shows (see
    :mod:`atlas.normalise.region`); the reason is appended to ``notes``."""
    recorded = () if countries is None else tuple(countries.drop_nulls().cast(pl.String).to_list())
    choice = choose_region(RegionEvidence(
        imsis=tuple(i for i in imsis if i), countries=recorded, countries_from=countries_from,
        same_numbers=same_numbers, same_numbers_from=same_numbers_from, numbers=numbers_in(*frames),
    ), default=ctx.region, instructed=ctx.region_instructed)
    notes.append(choice.assumption)
    return choice.region


def tidy_evidence(evidence: pl.DataFrame | None, region: str) -> pl.DataFrame | None:
    """Drop evidence rows that would link an identifier to itself once normalised (a
    card listing ``07700 900002`` and WhatsApp's ``+447700900002`` for it), and
    repeats of the same link, keeping the first (its source_ref and detail)."""
    from atlas.normalise.identifiers import identifier_uri

    if evidence is None or evidence.height == 0:
        return evidence
    raw = pl.concat([evidence.get_column("identifier"), evidence.get_column("related")]).drop_nulls().unique().sort()
    uris = {v: identifier_uri(v, source_id="", region=region) for v in raw.to_list()}
    keys, vals = pl.Series(list(uris), dtype=pl.String), pl.Series(list(uris.values()), dtype=pl.String)
    a = pl.col("identifier").replace_strict(keys, vals, default=None)
    b = pl.col("related").replace_strict(keys, vals, default=None)
    return (
        evidence.with_columns(a.alias("_a"), b.alias("_b"))
        .filter(pl.col("_a") != pl.col("_b"))
        .unique(["_a", "_b"], keep="first", maintain_order=True)
        .drop("_a", "_b")
    )
