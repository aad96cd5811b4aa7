"""When Polars' JSON reader reads a document exactly as ``json.loads`` does: the proof the
Snapchat ``chat_history.json`` fast path stands on (:mod:`parsers.snapchat`).

``pl.read_json`` (Rust) builds a document's columns about as fast as ``json.loads`` builds
Python objects, so a parser that then works column-wise skips the Python walk of every
record. But it differs from Python in a few places, each of which must send the file to the
parser's plain rule instead:

* a **repeated key**: Python keeps the last value, Polars the first (and its struct then
  holds the field twice, both with the first value);
* a key whose value is **null** looks, in the frame, like a key that is absent;
* a **number or boolean among texts** is read by Polars as its text (``5`` → ``"5"``,
  ``true`` → ``"true"``), where Python keeps the number;
* a key Polars does not keep (one a given schema lacks);
* a **lone surrogate escape** (``"\\ud800"``) is read by Polars as another character.

:func:`check_document` counts the document's text against the frame. With no ``\\u0022``
(quote) or ``\\u003a`` (colon) escape in the text and no quote, backslash or colon in a
key's name:

* every colon of the text is a key's or one inside a text, so ``colons of the text -
  keys held by the frame - colons of its texts`` (``nulls``, returned) is the number of keys
  the frame does not hold: values ``null``, and keys repeated or dropped;
* every quote is one of a key's or a text's two, or an escaped quote inside a text:
  ``quotes = 2 (keys + nulls + texts) + quotes of the frame's texts``, which a number or
  boolean read as a text breaks.

The caller must then find ``nulls`` values ``null`` in the text (:func:`null_values`, which
counts ``"key": null`` for the keys it names); finding them all proves no key repeated or
dropped. What no count can see is a key given twice, a value and then ``null``, in one
record (Python: null, Polars: the value): where a key with a ``null`` also has values,
:func:`repeated_in_records` looks for it in the text. Nulls in arrays and repeated field
names are refused by the walk; a lone surrogate before anything (the plain rule marks its
record). tests/test_snapchat_fast.py holds the fast path equal to the plain rule.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl


class NotFast(Exception):
    """The input is not one the fast path reads exactly: the plain rule reads it."""


_ESCAPED_COUNTED: Final = re.compile(rb"\\u00(?:22|3[aA])")
"""An escaped quote or colon: the text's counts would not be the frame's."""


@dataclass
class Tally:
    keys: int = 0
    texts: int = 0
    colons: int = 0
    quotes: int = 0


def _walk(array: Any, tally: Tally, texts: list[Any]) -> None:
    """Tally the keys under ``array`` (Arrow: each step is O(1) or one compute kernel, where Polars
    paid ~50 µs a call, and a month of Semantic Location History has ~150 nested fields)."""
    import pyarrow as pa

    dtype = array.type
    if pa.types.is_struct(dtype):
        names = [dtype.field(k).name for k in range(dtype.num_fields)]
        if len(set(names)) != len(names):
            raise NotFast("a repeated key")  # Polars keeps the first value under both names
        for name, child in zip(names, array.flatten(), strict=True):
            if any(c in name for c in ('"', "\\", ":")):
                raise NotFast(f"a key named {name!r}")
            tally.keys += len(child) - child.null_count
            _walk(child, tally, texts)
    elif pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        values = array.flatten()
        if values.null_count:
            raise NotFast("a null in an array")
        _walk(values, tally, texts)
    elif pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        if len(array) == array.null_count:
            return
        tally.texts += len(array) - array.null_count
        texts.append(array.cast(pa.large_string()))  # counted together: one kernel, not one a field
    elif not (pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_boolean(dtype)
              or pa.types.is_null(dtype)):
        raise NotFast(f"{dtype}")


def _count(data: bytes, byte: str) -> int:
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == ord(byte)))  # 4x bytes.count on one character


def lone_surrogate_escape(data: bytes) -> bool:
    return _escapes(data)[0]


def _escapes(data: bytes) -> tuple[bool, bool]:
    """Whether ``data`` may hold a ``\\uD800``-``\\uDFFF`` escape that is not half of a pair (what
    ``_exports._LONE_SURROGATE_ESCAPE`` finds): every high half must be followed by a low half
    and every low half follow a high one, so the three counts are equal. With NumPy over the
    backslashes only: the regular expression took 0.19 CPU-s on a 12 MB download with emoji.
    Second: whether it holds ``\\u0022`` or ``\\u003a`` (what :data:`_ESCAPED_COUNTED` finds)."""
    import numpy as np

    a = np.frombuffer(data, np.uint8)
    p = np.flatnonzero(a[:-5] == ord("\\"))
    if not p.size:
        return False, False
    hexdigit = np.zeros(256, bool)
    hexdigit[list(b"0123456789abcdefABCDEF")] = True
    high_third = np.zeros(256, bool)
    high_third[list(b"89abAB")] = True
    low_third = np.zeros(256, bool)
    low_third[list(b"cdefCDEF")] = True
    d = np.zeros(256, bool)
    d[list(b"dD")] = True
    base = (a[p + 1] == ord("u")) & d[a[p + 2]] & hexdigit[a[p + 4]] & hexdigit[a[p + 5]]
    high = base & high_third[a[p + 3]]
    low = base & low_third[a[p + 3]]
    at = np.zeros(a.size, bool)
    at[p[low]] = True
    q = p[high] + 6
    pairs = int(np.count_nonzero(at[q[q < a.size]]))
    zero = (a[p + 1] == ord("u")) & (a[p + 2] == ord("0")) & (a[p + 3] == ord("0"))
    counted = zero & (((a[p + 4] == ord("2")) & (a[p + 5] == ord("2")))
                      | ((a[p + 4] == ord("3")) & ((a[p + 5] == ord("a")) | (a[p + 5] == ord("A")))))
    return not (int(high.sum()) == pairs == int(low.sum())), bool(counted.any())


def check_document(data: bytes, doc: pl.DataFrame) -> tuple[int, Tally]:
    """Prove ``doc`` (``pl.read_json`` of ``data``) holds every text as a text (module notes) and
    return how many keys of the text the frame does not hold (``nulls``): ``null`` values, and
    any key repeated or dropped. The caller must show that many ``null`` values in the text
    (:func:`null_values`), or take the plain rule."""
    escapes = b"\\" in data  # memchr: a tenth of a count
    if escapes:
        lone, counted = _escapes(data)
        if lone:
            raise NotFast("a lone surrogate escape")  # the plain rule marks its record
        if counted:
            raise NotFast("an escaped quote or colon")
    tally = Tally()
    texts: list[Any] = []
    try:
        arrow = doc.to_struct("doc").to_arrow(compat_level=pl.CompatLevel.oldest())
    except pl.exceptions.PanicException as exc:  # a key holding U+0000 (no Arrow field name can): the plain rule reads it
        raise NotFast("a key Arrow cannot name") from exc
    _walk(arrow, tally, texts)
    if texts:
        import pyarrow as pa
        import pyarrow.compute as pc

        every = pa.chunked_array(texts, pa.large_string())
        tally.colons = pc.sum(pc.count_substring(every, ":")).as_py() or 0
        if escapes:  # a text holds a quote only as an escape
            tally.quotes = pc.sum(pc.count_substring(every, '"')).as_py() or 0
    nulls = _count(data, ":") - tally.keys - tally.colons
    if _count(data, '"') != 2 * (tally.keys + nulls + tally.texts) + tally.quotes:
        raise NotFast("texts differ (a number or boolean read as text)")
    return nulls, tally


def null_values(data: bytes, keys: list[str] | set[str], nulls: int) -> dict[str, int] | None:
    """The values ``null`` of each of ``keys`` in the text (written ``"key": null`` or
    ``"key":null``), if they are ``nulls`` in all; else None. The frame's count falls short of
    the text's by its nulls plus its repeated and dropped keys; each ``null`` found here is one
    of the first, so finding ``nulls`` of them proves there is none of the second. (Found
    within an escaped quote they could not be: a key with a quote in its name is refused.)"""
    found = dict.fromkeys(keys, 0)
    for sep in (b": ", b":"):
        for k in found:
            found[k] += data.count(b'"' + k.encode() + b'"' + sep + b"null")
        if sum(found.values()) >= nulls:
            break
    return found if sum(found.values()) == nulls else None


def null_values_by_part(data: bytes, keys: list[str], bounds: list[int], nulls: int) -> dict[str, list[int]] | None:
    """:func:`null_values` counted in each part of the text (``bounds``: the offsets that cut it),
    so a caller can tell in which record lists they fall."""
    found = {k: [0] * (len(bounds) - 1) for k in keys}
    total = 0
    if not nulls:
        return found
    # Each found is a key of the text whose value is null, which the frame does not hold: one of
    # the ``nulls``. So once ``nulls`` are found, no other can be (each search of the 13 MB
    # bench file takes 3 ms: the keys with the most nulls should come first).
    for sep in (b": ", b":"):
        for k in keys:
            needle = b'"' + k.encode() + b'"' + sep + b"null"
            for i in range(len(bounds) - 1):
                n = data.count(needle, bounds[i], bounds[i + 1])
                found[k][i] += n
                total += n
                if total >= nulls:
                    return found if total == nulls else None
    return None


_ESCAPED_KEY: Final = r'"(?:[^"\\]|\\.)*\\.(?:[^"\\]|\\.)*"\s*:'
"""A key written with an escape: a whole text holding one, then a colon (a match starting at an
escaped quote inside a text can only add a refusal, never hide a key)."""


def repeated_in_records(data: bytes, key: str) -> bool:
    """Whether some object of the text gives ``key`` twice (a value then ``null`` is what the
    counts cannot see). Exact where records are flat (the caller checks they hold no object or
    array): from a key, the pattern steps over whole texts (braces inside them included) and
    any other character but a brace, so it stays within the record; a text cannot hide a key
    from it (a key with a quote in its name is refused by the walk), and a key written with an
    escape, which it would not see, is refused here."""
    text = pl.Series([data.decode("utf-8")])
    if b"\\" in data and text.str.contains(_ESCAPED_KEY).item():
        raise NotFast("a key written with an escape")
    k = re.escape(key)
    pattern = f'"{k}"\\s*:(?:[^"{{}}]|"(?:[^"\\\\]|\\\\.)*")*"{k}"\\s*:'
    return bool(text.str.contains(pattern).item())


def list_keys_in_order(data: bytes, keys: list[str]) -> list[tuple[str, int]]:
    """``keys`` (top-level keys holding lists) in the order the text gives them. Polars orders a
    document's columns its own way once there are more than a few (not the text's order, which
    the plain rule keeps). Each is found where a list opens: a ``[`` after a colon after a
    quote (whitespace allowed between), the key being the text up to the quote before; a
    ``[`` inside a text gives no key of ``keys`` (its quote before is an escaped one), so each
    of ``keys`` must be found exactly once. Each with the offset of its ``[``."""
    import numpy as np

    found: list[tuple[str, int]] = []
    wanted = set(keys)
    for p in np.flatnonzero(np.frombuffer(data, np.uint8) == ord("[")).tolist():
        q = p - 1
        while q > 0 and data[q] in b" \t\r\n":
            q -= 1
        if data[q] != ord(":"):
            continue
        q -= 1
        while q > 0 and data[q] in b" \t\r\n":
            q -= 1
        if data[q] != ord('"'):
            continue
        name = data[data.rfind(b'"', 0, q) + 1:q]
        if b"\\" in name:
            continue  # inside a text (or a key written with an escape: then never found, refused below)
        text = name.decode("utf-8", "replace")
        if text in wanted:
            found.append((text, p))
    if sorted(k for k, _ in found) != sorted(keys):
        raise NotFast("the lists' keys not found once each")
    return found


def few_keys(data: bytes) -> None:
    """NotFast where the text may name more than :data:`parsers._bounds.INFERRED_KEYS` different keys
    (see there why), before Polars infers a layout. Colons counted first (a C count over the bytes,
    6 ms for 22 MB; every key has one, however spaced); only where there are more than the bound, the
    names in front of them, in one regex pass in Polars and a distinct count (57 ms for 22 MB and
    800,000 keys: a cost on the inferred route only, which a file of the usual layout never takes).
    Anything that looks like a key only makes the count bigger (then the walk reads the file: slower,
    never wrong); text that is not UTF-8 is NotFast too (Polars refuses it)."""
    from parsers._bounds import INFERRED_KEYS

    if data.count(b":") <= INFERRED_KEYS:
        return
    text = pl.Series([data], dtype=pl.Binary).cast(pl.String, strict=False)
    if text.null_count():
        raise NotFast("not UTF-8")
    names = text.str.extract_all(r'"((?:[^"\\]|\\.)*)"[ \t\r\n]*:').explode()
    if names.n_unique() > INFERRED_KEYS:
        raise NotFast(f"more than {INFERRED_KEYS:,} different keys")


def read(data: bytes, schema: pl.Schema | None = None) -> pl.DataFrame:
    """``pl.read_json`` of a UTF-8 object (Polars checks the whole text is UTF-8), or NotFast."""
    if data.lstrip()[:1] != b"{":
        raise NotFast("not an object")
    try:
        if schema is not None:
            return pl.read_json(io.BytesIO(data), schema=schema)
        return pl.read_json(io.BytesIO(data), infer_schema_length=None)
    except Exception as exc:  # anything Polars does not read: the plain rule reads it or names the fault
        raise NotFast("Polars does not read it") from exc


def python_str(frame: pl.DataFrame, column: str) -> pl.Expr:
    """``str()`` of each value, as Python writes it (Polars writes some floats and booleans otherwise)."""
    values = frame.get_column(column).drop_nulls().unique().to_list()
    return pl.col(column).replace_strict({v: str(v) for v in values}, default=None, return_dtype=pl.String)


# --- the declared route: Polars given the layout, and the count that proves it -------------
# Given a schema, Polars skips its inference pass (a third of its read), but reads a value of
# another type than declared its own way: a number or boolean into a text column as its text,
# a float, a boolean or an exponent into an integer column as an integer (``1.5`` -> 1,
# ``true`` -> 1, ``1e3`` -> 1000), a number too big for it as null; a key it was not given
# is dropped. (An object or array where a text, integer or boolean is declared, or a text
# where a boolean or integer is, is an error: the caller's fallback.) :func:`declared_counts`
# proves such a read equal to ``json.loads`` by three counts of the text against the frame:
#
# * colons: one for each key the frame holds and each colon inside its texts; the rest
#   (``nulls``, returned) are keys it does not hold, which the caller must find to be values
#   ``null`` (:func:`null_values_by_part`), so none was dropped or repeated;
# * quotes: two for each key (held or null) and each text, and each quote inside the texts
#   (an escaped quote): so no number or boolean was read as a text;
# * dots and letters ``e``/``E``: those of the held keys' names, of the texts, one for each
#   boolean, those of the null keys' names (the caller adds them, ``letters_left``), and the
#   hex digits of ``\\uXXXX`` escapes: so no integer column holds what was a float, an
#   exponent or a boolean (each writes a dot, an ``e`` or an ``E`` the frame does not hold).
#
# A ``\\uXXXX`` escape standing for one of the counted characters, or half a surrogate pair
# alone, is refused (:func:`escape_letters`), as is a key with a quote, backslash or colon in
# its name. Raw UTF-8 is counted as it is: no byte of a multi-byte character is ASCII.

_COUNTED: Final = b':".eE'


def byte_counts(parts: list[Any], chars: bytes = _COUNTED) -> list[int]:
    """How many bytes of each of ``chars`` the NumPy byte arrays ``parts`` hold, counted in
    blocks that stay in the cache (3.8 ms for five characters on 13 MB, where one
    ``bytes.count`` takes 5 ms and five whole-array comparisons 7 ms)."""
    return _blocked_counts(parts, chars)[0]


_BLOCK: Final = 1 << 18


def _blocked_counts(parts: list[Any], chars: bytes, data: bytes | None = None, needles: Sequence[bytes] = (),
                    bounds: Sequence[int] = ()) -> tuple[list[int], list[list[int]]]:
    """:func:`byte_counts`, and where ``data`` (the one part's bytes) and ``needles`` are given, each
    needle's occurrences in each part of ``data`` that ``bounds`` cut (as ``data.count(needle, a, b)``
    of each part counts them: whole within it), counted block by block while the block is in the
    cache: a second pass over a 13 MB text from memory cost 3-7 ms where the search alone takes 3."""
    import numpy as np

    totals = [0] * len(chars)
    found = [[0] * max(len(bounds) - 1, 0) for _ in needles]
    scratch = np.empty(_BLOCK, np.bool_)
    part = 0
    for a in parts:
        for start in range(0, a.size, _BLOCK):
            block = a[start:start + _BLOCK]
            out = scratch[:block.size]
            for i, c in enumerate(chars):
                np.equal(block, c, out=out)
                totals[i] += int(np.count_nonzero(out))
            if data is None or not needles:
                continue
            # the needles starting in this block, each part's share (a needle may end past the block,
            # never past its part)
            end = start + block.size
            at = start
            while at < end:
                while bounds[part + 1] <= at:
                    part += 1
                upto = min(end, bounds[part + 1])
                for j, needle in enumerate(needles):
                    found[j][part] += data.count(needle, at, min(upto + len(needle) - 1, bounds[part + 1]))
                at = upto
    return totals, found


_HEX: Final = bytes(int(chr(c), 16) if chr(c) in "0123456789abcdefABCDEF" else 255 for c in range(256))


def escape_letters(data: bytes) -> int:
    """The letters ``e``/``E`` among the hex digits of the text's ``\\uXXXX`` escapes (in the text,
    not in what they stand for). :class:`NotFast` for an escape of a counted character
    (``:`` ``"`` ``.`` ``e`` ``E``) or a surrogate half that is not one of a pair (Polars reads it
    as another character). Escapes are found as JSON reads them: in a run of backslashes the
    first, third … starts one (``\\\\`` is a backslash)."""
    import numpy as np

    a = np.frombuffer(data, np.uint8)
    backslashes = np.flatnonzero(a == 0x5C)
    if not backslashes.size:
        return 0
    if backslashes[-1] + 1 >= a.size:
        raise NotFast("a backslash at the end")
    index = np.arange(backslashes.size)
    first = np.maximum.accumulate(np.where(np.r_[True, np.diff(backslashes) != 1], index, 0))
    at = backslashes[(index - first) % 2 == 0]
    u = at[a[at + 1] == ord("u")]
    if not u.size:
        return 0
    if u[-1] + 5 >= a.size:
        raise NotFast("an escape at the end")
    digits = np.stack([a[u + k] for k in range(2, 6)])
    values = np.frombuffer(_HEX, np.uint8)[digits].astype(np.int64)
    if (values == 255).any():
        raise NotFast("not an escape")
    code = (values[0] << 12) | (values[1] << 8) | (values[2] << 4) | values[3]
    if np.isin(code, list(_COUNTED)).any():
        raise NotFast("an escape of a counted character")
    high = u[(code >= 0xD800) & (code < 0xDC00)]
    low = u[(code >= 0xDC00) & (code < 0xE000)]
    if high.size != low.size or not (np.isin(high + 6, low).all() and np.isin(low - 6, high).all()):
        raise NotFast("a lone surrogate escape")  # the plain rule marks its record
    return int(np.count_nonzero((digits | 0x20) == ord("e")))


def text_bytes(values: pl.Series) -> Any:
    """The UTF-8 bytes of a text column's values, one after another (a NumPy view of Arrow's buffer)."""
    import numpy as np

    if values.null_count():
        values = values.drop_nulls()
    # (renamed: a column named by a key holding U+0000, which no Arrow field name can hold, made Polars panic)
    array = values.rename("v").rechunk().to_arrow(compat_level=pl.CompatLevel.oldest())
    if not len(array):
        return np.empty(0, np.uint8)
    offsets = np.frombuffer(array.buffers()[1], np.int64)[array.offset:array.offset + len(array) + 1]
    return np.frombuffer(array.buffers()[2], np.uint8)[offsets[0]:offsets[-1]]


def list_keys(data: bytes) -> list[tuple[str, int]]:
    """Every key of the text whose value is a list, in the text's order, each with the offset of
    its ``[`` (found as :func:`list_keys_in_order` finds them, by ``bytes.find``: memchr).
    :class:`NotFast` if one is found twice."""
    found: list[tuple[str, int]] = []
    p = data.find(b"[")
    while p >= 0:
        q = p - 1
        while q > 0 and data[q] in b" \t\r\n":
            q -= 1
        if data[q] == ord(":"):
            q -= 1
            while q > 0 and data[q] in b" \t\r\n":
                q -= 1
            if data[q] == ord('"'):
                name = data[data.rfind(b'"', 0, q) + 1:q]
                # A name with a backslash or a colon is no key the fast path reads (it refuses a key with
                # either): a ``[`` inside a text, after an escaped quote or at a text's start (``": [``).
                # Left out, such a key would be dropped by the read and refused by the count.
                if b"\\" not in name and b":" not in name:
                    found.append((name.decode("utf-8", "replace"), p))
        p = data.find(b"[", p + 1)
    if len({k for k, _ in found}) != len(found):
        raise NotFast("a list's key twice")
    return found


def _letters(name: str) -> int:
    return sum(name.count(c) for c in ".eE")


@dataclass
class Declared:
    """What :func:`declared_counts` proved: ``nulls`` keys of the text not held by the frame (the
    caller must find them ``null``), and the dots and letters ``e``/``E`` of the text left for
    their names (``letters_left``: the caller checks the names it finds account for them all).
    ``found``: where the caller named keys that may be ``null``, what :func:`null_values_by_part`
    gives for them, counted in the same pass, if that can be told from ``"key": null`` alone
    (else None: the caller asks :func:`null_values_by_part`)."""
    nulls: int
    letters_left: int
    found: dict[str, list[int]] | None = None


def declared_counts(data: bytes, top: list[str], records: pl.DataFrame, nullable: list[str] | None = None,
                    bounds: list[int] | None = None) -> Declared:
    """The count (module notes) of a document read with a declared layout: ``top`` its keys (each
    holding a list of records, all held), ``records`` every record of them, one column a key
    (texts, integers or booleans; a record's absent key null). With ``nullable`` and ``bounds``,
    also each of those keys' ``"key": null`` in each part of the text, in the same pass over it
    (:attr:`Declared.found`)."""
    import numpy as np

    keys = texts = bools = names = 0
    strings = []
    for name in top:
        if any(c in name for c in ('"', "\\", ":")):
            raise NotFast(f"a key named {name!r}")
        keys += 1
        names += _letters(name)
    for name, dtype in records.schema.items():
        if any(c in name for c in ('"', "\\", ":")):
            raise NotFast(f"a key named {name!r}")
        column = records.get_column(name)
        held = column.len() - column.null_count()
        keys += held
        names += held * _letters(name)
        if dtype == pl.String:
            texts += held
            if held:
                strings.append(text_bytes(column))
        elif dtype == pl.Boolean:
            bools += held  # the e of true and of false
        elif not (dtype.is_integer() or dtype == pl.Null):
            raise NotFast(f"{name}: {dtype}")
    needles = [b'"' + k.encode() + b'": null' for k in nullable or []]
    (colons, quotes, dots, e, big_e), by_part = _blocked_counts([np.frombuffer(data, np.uint8)], _COUNTED, data, needles,
                                                                bounds or [0, len(data)])
    s_colons, s_quotes, s_dots, s_e, s_big_e = byte_counts(strings)
    hex_letters = escape_letters(data) if b"\\" in data else 0
    nulls = colons - keys - s_colons
    if nulls < 0 or quotes != 2 * (keys + nulls + texts) + s_quotes:
        raise NotFast("texts differ (a number or boolean read as text), or keys")
    left = dots + e + big_e - hex_letters - names - (s_dots + s_e + s_big_e) - bools
    if left < 0:
        raise NotFast("dots or letters differ (a float, exponent or boolean read as an integer)")
    # Every ``"key": null`` found is one of the ``nulls`` (module notes), so they can never be more;
    # where they are exactly as many, :func:`null_values_by_part` (which searches ``"key": null``
    # first, and stops once it has found them all) gives these counts; otherwise it must search.
    found = None
    if nullable is not None and sum(map(sum, by_part)) == nulls:
        found = dict(zip(nullable, by_part, strict=True))
    return Declared(nulls, left, found)


def null_letters(found: dict[str, list[int]]) -> int:
    """The dots and letters ``e``/``E`` of the names of the ``null`` values found (:func:`null_values_by_part`)."""
    return sum(_letters(k) * sum(counts) for k, counts in found.items())
