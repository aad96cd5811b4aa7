"""The phrase lexicon: requests to stop (used by the conduct analysis) and the old threat phrases.

Threats of violence and s2A(3) behaviours are now found by the structural rules
(:mod:`.token_rules`, :file:`threat_rules.toml`); this lexicon's ``[[threat]]`` and
``[[indicator]]`` patterns are kept as the reference the threat benchmark measures the
rules against (``bench/bench_threats.py``), and its ``[[request_to_stop]]`` patterns are
still what recognises the victim asking the suspect to stop.

The words and patterns live in :file:`threat_lexicon.toml`, a documented file an
investigator can read and edit; this module loads it (refusing an edit that breaks
its own examples), screens a whole column of texts at once with Polars, and only for
the few texts that screen positive works out each hit and its context in Python.

Everyday idioms ("this traffic is killing me", "I could murder a pizza") are blanked
out before anything is matched, so they can never count; a weak pattern (a weapon
word with no target) is shown for review but does not make a threat occasion.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import polars as pl

from atlas.errors import AtlasError

DEFAULT_LEXICON: Final = Path(__file__).with_name("threat_lexicon.toml")
CONTEXT_CHARS: Final = 40

PatternKind = Literal["idiom", "threat", "indicator", "request_to_stop"]
STRENGTHS: Final = ("strong", "weak")
BEHAVIOURS: Final = ("following", "contacting", "publishing", "monitoring", "loitering", "interfering", "watching")


class LexiconError(AtlasError):
    """The threat lexicon is malformed, or an edit broke one of its own examples."""


@dataclass(frozen=True)
class LexiconPattern:
    id: str
    kind: PatternKind
    pattern: str
    category: str = ""
    strength: str = ""
    behaviour: str = ""
    note: str = ""
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()

    @property
    def flagged(self) -> str:
        return f"(?i){self.pattern}"

    def compiled(self) -> re.Pattern[str]:
        return _compile(self.flagged)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class Hit:
    """One pattern matched in one text."""

    pattern_id: str
    kind: PatternKind
    category: str
    strength: str
    behaviour: str
    matched: str
    start: int
    end: int
    context: str


@dataclass(frozen=True)
class Lexicon:
    version: str
    description: str
    idioms: tuple[LexiconPattern, ...]
    threats: tuple[LexiconPattern, ...]
    indicators: tuple[LexiconPattern, ...]
    path: str
    sha256: str
    stop_requests: tuple[LexiconPattern, ...] = ()

    def blank(self, text: str) -> str:
        """``text`` with every idiom replaced by spaces (offsets kept for context)."""
        for idiom in self.idioms:
            text = idiom.compiled().sub(lambda m: " " * len(m.group(0)), text)
        return text

    def find(self, text: str) -> list[Hit]:
        """Every threat and indicator hit in ``text``, idioms excepted, in text order."""
        blanked = self.blank(text)
        hits: list[Hit] = []
        for p in (*self.threats, *self.indicators):
            for m in p.compiled().finditer(blanked):
                lo, hi = max(0, m.start() - CONTEXT_CHARS), min(len(text), m.end() + CONTEXT_CHARS)
                context = ("…" if lo > 0 else "") + text[lo:m.start()] + "«" + text[m.start():m.end()] + "»" \
                    + text[m.end():hi] + ("…" if hi < len(text) else "")
                hits.append(Hit(p.id, p.kind, p.category, p.strength, p.behaviour, text[m.start():m.end()],
                                m.start(), m.end(), context))
        return sorted(hits, key=lambda h: (h.start, h.pattern_id))

    def asks_to_stop(self, text: str) -> str | None:
        """The phrase of ``text`` asking the suspect to stop, if any."""
        blanked = self.blank(text)
        for p in self.stop_requests:
            m = p.compiled().search(blanked)
            if m:
                return text[m.start():m.end()]
        return None

    def is_threat(self, text: str) -> bool:
        return any(h.kind == "threat" and h.strength == "strong" for h in self.find(text))

    def provenance(self) -> dict[str, str]:
        return {"lexicon_version": self.version, "lexicon_file": Path(self.path).name, "lexicon_sha256": self.sha256}


_KEYS: Final = {
    "idiom": {"id", "pattern", "note", "examples"},
    "threat": {"id", "category", "strength", "pattern", "note", "examples", "counter_examples"},
    "indicator": {"id", "behaviour", "pattern", "note", "examples", "counter_examples"},
    "request_to_stop": {"id", "pattern", "note", "examples", "counter_examples"},
}


def _entry(path: Path, kind: PatternKind, i: int, raw: object) -> LexiconPattern:
    where = f"{path}: [[{kind}]] #{i + 1}"
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: expected a table")
    unknown = set(raw) - _KEYS[kind]
    if unknown:
        raise LexiconError(f"{where}: unknown keys {sorted(unknown)} (known: {', '.join(sorted(_KEYS[kind]))})")
    for key in ("id", "pattern", *(("category", "strength") if kind == "threat" else ()),
                *(("behaviour",) if kind == "indicator" else ())):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise LexiconError(f"{where}: {key} is required (a non-empty string)")
    for key in ("examples", "counter_examples"):
        if key in raw and (not isinstance(raw[key], list) or not all(isinstance(x, str) for x in raw[key])):
            raise LexiconError(f"{where}: {key} must be a list of strings")
    if kind == "threat" and raw["strength"] not in STRENGTHS:
        raise LexiconError(f"{where}: strength must be one of {', '.join(STRENGTHS)}")
    if kind == "indicator" and raw["behaviour"] not in BEHAVIOURS:
        raise LexiconError(f"{where}: behaviour must be one of {', '.join(BEHAVIOURS)}")
    entry = LexiconPattern(
        id=raw["id"], kind=kind, pattern=raw["pattern"], category=raw.get("category", ""),
        strength=raw.get("strength", ""), behaviour=raw.get("behaviour", ""), note=raw.get("note", ""),
        examples=tuple(raw.get("examples", [])), counter_examples=tuple(raw.get("counter_examples", [])),
    )
    try:
        entry.compiled()
        pl.select(pl.lit("x").str.contains(entry.flagged))  # the Rust engine must accept it too
    except (re.error, pl.exceptions.ComputeError) as exc:
        raise LexiconError(f"{where} ({entry.id}): pattern is not a valid regular expression for both engines: {exc}") from exc
    return entry


def parse_lexicon(text: str, path: Path) -> Lexicon:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"meta", "idiom", "threat", "indicator", "request_to_stop"}
    if unknown:
        raise LexiconError(f"{path}: unknown tables {sorted(unknown)}")
    meta = data.get("meta", {})
    if not isinstance(meta.get("version"), str):
        raise LexiconError(f"{path}: [meta] version is required")
    entries: dict[str, list[LexiconPattern]] = {}
    seen: set[str] = set()
    for kind in ("idiom", "threat", "indicator", "request_to_stop"):
        entries[kind] = []
        for i, raw in enumerate(data.get(kind, [])):
            e = _entry(path, kind, i, raw)
            if e.id in seen:
                raise LexiconError(f"{path}: duplicate pattern id {e.id!r}")
            seen.add(e.id)
            entries[kind].append(e)
    if not any(e.strength == "strong" for e in entries["threat"]):
        raise LexiconError(f"{path}: no strong threat pattern: nothing could ever count as a threat occasion")
    lex = Lexicon(
        version=meta["version"], description=meta.get("description", ""), idioms=tuple(entries["idiom"]),
        threats=tuple(entries["threat"]), indicators=tuple(entries["indicator"]), path=str(path),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), stop_requests=tuple(entries["request_to_stop"]),
    )
    _self_test(lex)
    return lex


def _self_test(lex: Lexicon) -> None:
    """Refuse a lexicon whose patterns contradict their own documented examples."""
    for p in (*lex.threats, *lex.indicators):
        for ex in p.examples:
            if not any(h.pattern_id == p.id for h in lex.find(ex)):
                raise LexiconError(f"{lex.path}: {p.kind} {p.id!r} does not match its own example {ex!r}")
        for ex in p.counter_examples:
            if any(h.pattern_id == p.id for h in lex.find(ex)):
                raise LexiconError(f"{lex.path}: {p.kind} {p.id!r} matches its counter-example {ex!r}")
    for p in lex.stop_requests:
        for ex in p.examples:
            if not p.compiled().search(lex.blank(ex)):
                raise LexiconError(f"{lex.path}: request_to_stop {p.id!r} does not match its own example {ex!r}")
        for ex in p.counter_examples:
            if p.compiled().search(lex.blank(ex)):
                raise LexiconError(f"{lex.path}: request_to_stop {p.id!r} matches its counter-example {ex!r}")
    for idiom in lex.idioms:
        for ex in idiom.examples:
            if not idiom.compiled().search(ex):
                raise LexiconError(f"{lex.path}: idiom {idiom.id!r} does not match its own example {ex!r}")
            if lex.is_threat(ex):
                raise LexiconError(f"{lex.path}: idiom example {ex!r} still counts as a threat")


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> Lexicon:
    p = Path(path)
    return parse_lexicon(p.read_text(encoding="utf-8"), p)


def load_lexicon(path: Path | str | None = None) -> Lexicon:
    chosen = Path(path) if path else DEFAULT_LEXICON
    if not chosen.is_file():
        raise LexiconError(f"{chosen}: no threat lexicon")
    st = chosen.stat()
    return _load_cached(str(chosen.resolve()), st.st_mtime_ns, st.st_size)


HIT_SCHEMA: Final = pl.Schema({
    "row": pl.Int64(), "pattern_id": pl.String(), "kind": pl.String(), "category": pl.String(), "strength": pl.String(),
    "behaviour": pl.String(), "matched": pl.String(), "context": pl.String(),
})


def scan_texts(texts: pl.Series, lexicon: Lexicon) -> pl.DataFrame:
    """Hits for a column of texts: one row per (text position ``row``, hit).

    Screening is one vectorised pass: idioms are blanked and all patterns tested as one
    alternation over the column; only distinct texts that screen positive are examined
    one by one (usually a handful among thousands of messages).
    """
    frame = pl.DataFrame({"text": texts.cast(pl.String)}).with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    patterns = [*lexicon.threats, *lexicon.indicators]
    if frame.height == 0 or not patterns:
        return pl.DataFrame(schema=HIT_SCHEMA)
    masked = pl.col("text")
    for idiom in lexicon.idioms:
        masked = masked.str.replace_all(idiom.flagged, " ")
    union = "|".join(f"(?:{p.flagged})" for p in patterns)
    candidates = frame.filter(pl.col("text").is_not_null() & masked.str.contains(union))
    if candidates.height == 0:
        return pl.DataFrame(schema=HIT_SCHEMA)
    found: dict[str, list[Hit]] = {t: lexicon.find(t) for t in candidates.get_column("text").unique().sort().to_list()}
    rows = [
        {"row": r, "pattern_id": h.pattern_id, "kind": h.kind, "category": h.category, "strength": h.strength,
         "behaviour": h.behaviour, "matched": h.matched, "context": h.context}
        for r, t in zip(candidates.get_column("row").to_list(), candidates.get_column("text").to_list(), strict=True)
        for h in found[t]
    ]
    return pl.DataFrame(rows, schema=HIT_SCHEMA)


def stop_requests(texts: pl.Series, lexicon: Lexicon) -> pl.Series:
    """For each text, the phrase asking the suspect to stop (null if none): one vectorised
    screen, then Python only for the texts that screen positive."""
    if not lexicon.stop_requests or len(texts) == 0:
        return pl.Series("stop_request", [None] * len(texts), dtype=pl.String)
    masked = pl.col("text")
    for idiom in lexicon.idioms:
        masked = masked.str.replace_all(idiom.flagged, " ")
    union = "|".join(f"(?:{p.flagged})" for p in lexicon.stop_requests)
    frame = pl.DataFrame({"text": texts.cast(pl.String)}).with_columns(masked.str.contains(union).fill_null(False).alias("hit"))
    found = {t: lexicon.asks_to_stop(t) for t in frame.filter(pl.col("hit")).get_column("text").unique().to_list()}
    return frame.select(
        pl.when(pl.col("hit")).then(pl.col("text").replace_strict(
            pl.Series(list(found), dtype=pl.String), pl.Series(list(found.values()), dtype=pl.String), default=None))
        .otherwise(None).alias("stop_request")
    ).get_column("stop_request")
