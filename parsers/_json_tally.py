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
    _walk(doc.to_struct("doc").to_arrow(compat_level=pl.CompatLevel.oldest()), tally, texts)
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
    for sep in (b": ", b":"):
        for k in keys:
            needle = b'"' + k.encode() + b'"' + sep + b"null"
            for i in range(len(bounds) - 1):
                n = data.count(needle, bounds[i], bounds[i + 1])
                found[k][i] += n
                total += n
        if total >= nulls:
            break
    return found if total == nulls else None


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
