"""CASE/UCO: how the evidence came to be analysed, as JSON-LD for other forensic tools.

The CASE ontology (Cyber-investigation Analysis Standard Expression, built on the Unified
Cyber Ontology) exchanges provenance between tools. This document describes:

* the tool (``uco-tool:AnalyticTool`` Atlas, with its version) and each parser that read
  a source (``uco-tool:Tool``, name and version);
* each source as a ``uco-observable:File`` with a ``FileFacet`` (name, path, size) and a
  ``ContentDataFacet`` holding its SHA-256, and the store files an ingest produced (the
  source's event, reject and evidence partitions, with the SHA-256 the store manifest
  seals them with);
* each source's exhibit as a ``case-investigation:ProvenanceRecord`` (exhibit number,
  and the continuity the officer recorded: supplied by, received, seal);
* each ingest, identity discovery and identity decision in the audit log, and this
  export, as a ``case-investigation:InvestigativeAction`` with its instrument, inputs
  (``uco-action:object``) and outputs (``uco-action:result``), all gathered in one
  ``case-investigation:Investigation``.

Every node has an IRI (UCO's shapes require IRIs for facets and hashes) made from a
UUIDv5 of what it stands for, so the document is the same, byte for byte, for the same
case. The export action carries no time for the same reason (the audit log records when
it ran). Validated with ``case_validate`` (``case-utils``) in the tests.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from atlas.exhibits import cited_ref, identifier_label, side_label
from atlas.store.hashing import HASH_BASIS_BYTES

from .inputs import ExportContext

CONTEXT: Final = {
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_NAMESPACE: Final = uuid.UUID("6b0c3f0e-2f55-5d7e-9a57-61746c617331")
"""Fixed namespace of Atlas's UUIDv5 node ids (any constant would do; this one never changes)."""
ANALYSIS_ACTIONS: Final = {
    "identity.discover": "identity discovery (alias links proposed from the data)",
    "identity.link": "identity link recorded by an officer",
    "identity.confirm": "identity link confirmed by an officer",
    "identity.reject": "identity link rejected by an officer",
    "identity.reopen": "identity link re-opened for a decision",
    "candidate.confirm": "threat or behaviour candidate confirmed by an officer",
    "candidate.dismiss": "threat or behaviour candidate dismissed by an officer",
    "candidate.reopen": "threat or behaviour candidate re-opened for a decision",
}
"""Audit actions described as investigative actions besides ingests (proposals and updates are
part of a discovery run; exports and searches are not part of how the evidence was analysed)."""


@dataclass(frozen=True)
class SourceFile:
    """A source of the case as the store records it."""

    source_id: str
    name: str
    path: str
    size: int
    sha256: str
    parser: str
    parser_version: str
    records_read: int
    events: int
    rejects: int
    companions: tuple[tuple[str, str, int, str], ...] = ()
    """(name, role, size, SHA-256) of files read with it (a SQLite ``-wal``)."""


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    action: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class ContinuityNote:
    supplied_by: str
    received: str
    seal: str


def _kb_prefix(reference: str) -> str:
    return "urn:atlas:" + (re.sub(r"[^A-Za-z0-9._-]", "-", reference) or "case") + ":"


def _iri(ctx: ExportContext, cls: str, key: str) -> str:
    return f"kb:{cls}-{uuid.uuid5(_NAMESPACE, f'{ctx.case_reference}|{cls}|{key}')}"


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _typed(value: str, datatype: str) -> dict[str, str]:
    return {"@type": datatype, "@value": value}


def _when(at: str) -> dict[str, str]:
    """An audit time (ISO 8601 with offset) as ``xsd:dateTime``."""
    return _typed(at, "xsd:dateTime")


def _file(ctx: ExportContext, key: str, name: str, path: str | None, size: int | None, sha256: str) -> dict[str, Any]:
    file_iri = _iri(ctx, "File", key)
    file_facet: dict[str, Any] = {"@id": _iri(ctx, "FileFacet", key), "@type": "uco-observable:FileFacet",
                                  "uco-observable:fileName": name}
    if path:
        file_facet["uco-observable:filePath"] = path
    content: dict[str, Any] = {
        "@id": _iri(ctx, "ContentDataFacet", key), "@type": "uco-observable:ContentDataFacet",
        "uco-observable:hash": [{
            "@id": _iri(ctx, "Hash", f"SHA256:{sha256}"), "@type": "uco-types:Hash",
            "uco-types:hashMethod": "SHA256",
            "uco-types:hashValue": _typed(sha256.upper(), "xsd:hexBinary"),
        }],
    }
    if size is not None:
        file_facet["uco-observable:sizeInBytes"] = size
        content["uco-observable:sizeInBytes"] = size
    return {"@id": file_iri, "@type": "uco-observable:File", "uco-core:name": name,
            "uco-core:hasFacet": [file_facet, content]}


def _action(ctx: ExportContext, key: str, name: str, description: str, *, at: str | None, instruments: Sequence[str],
            objects: Sequence[str], results: Sequence[str] = ()) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": _iri(ctx, "InvestigativeAction", key), "@type": "case-investigation:InvestigativeAction",
                            "uco-core:name": name, "uco-core:description": description}
    if at:
        node["uco-action:startTime"] = _when(at)
    if instruments:
        node["uco-action:instrument"] = [_ref(i) for i in instruments]
    if objects:
        node["uco-action:object"] = [_ref(o) for o in objects]
    if results:
        node["uco-action:result"] = [_ref(r) for r in results]
    return node


_MACHINE_KEYS: Final = frozenset({"candidate_id", "decision_seq"})
"""Audit detail keys that are internal handles, not facts for a reader."""


def _fact(ctx: ExportContext, value: Any) -> str:
    """One audit value as a reader sees it: records by exhibit (``JA/7, sms rowid 477``),
    never an event id; an officer by their label."""
    if isinstance(value, Mapping):
        if "collar_number" in value:   # an officer (atlas.store.officer.Officer.as_dict)
            return " ".join(str(value[k]) for k in ("rank", "collar_number", "name") if value.get(k))
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, list | tuple):
        return ", ".join(_fact(ctx, v) for v in value)
    if isinstance(value, str) and value.startswith("name:"):
        return identifier_label(ctx.refs, value)  # a display name by the exhibit that shows it, never a source id
    return cited_ref(ctx.refs, value) if isinstance(value, str) else str(value)


def _facts(ctx: ExportContext, detail: Mapping[str, Any]) -> str:
    return "; ".join(f"{k.replace('_', ' ')}: {_fact(ctx, detail[k])}" for k in sorted(detail)
                     if k not in _MACHINE_KEYS and detail[k] not in (None, "", [], {}))


LINK_DECISIONS: Final = frozenset({"identity.link", "identity.confirm", "identity.reject", "identity.reopen"})
"""Audit actions on one identity link: described by what the link joins, its ledger id a property."""
_LINK_HANDLES: Final = frozenset({"link_id", "key", "subject", "state"})
"""A link decision's machine keys: the ledger id (twice: ``link_id`` and the decision's ``key``), the
decision's subject (always ``link``) and ``state`` (the same as ``status``)."""


def _side(ctx: ExportContext, value: Any) -> str:
    """One side of a link: a party by the name case.toml gives it and its role (``Simon Suspect (suspect)``, as
    the i2 chart names its person), never its key ``party:suspect``; an identifier as :func:`_fact` shows it."""
    if isinstance(value, str) and value.startswith("party:") and value.removeprefix("party:") in ctx.parties:
        return side_label(ctx.refs, ctx.parties, value)
    return _fact(ctx, value)


def _link_facts(ctx: ExportContext, detail: Mapping[str, Any]) -> str:
    """A link decision in words: ``link: Dan (name in JA/21) = tel:+447700900002; basis: ...``, the two
    sides named as the export's summary names a followed link, never "key: L…; link id: L…" (rejected-ex
    63511)."""
    joined = f"link: {_side(ctx, detail.get('a', ''))} = {_side(ctx, detail.get('b', ''))}"
    rest = _facts(ctx, {k: v for k, v in detail.items() if k not in _LINK_HANDLES | {"a", "b"}})
    return f"{joined}; {rest}" if rest else joined


def _ledger_reference(ctx: ExportContext, link_id: str) -> dict[str, Any]:
    """The link's id in the case's identity ledger as a ``uco-core:ExternalReference`` of the action, for a
    tool that looks it up (``atlas people``), beside the sentence rather than in it."""
    return {"@id": _iri(ctx, "ExternalReference", f"identity-link:{link_id}"), "@type": "uco-core:ExternalReference",
            "uco-core:definingContext": "Atlas identity ledger (atlas people CASE_DIR)",
            "uco-core:externalIdentifier": link_id}


def build(ctx: ExportContext, sources: Iterable[SourceFile], audit: Iterable[AuditEntry],
          store_files: Mapping[str, str], continuity: Mapping[str, ContinuityNote]) -> dict[str, Any]:
    """The JSON-LD document (a dict; :func:`dumps` writes it deterministically).

    ``store_files``: path under ``store/`` → SHA-256 as sealed in the store manifest;
    ``continuity``: source SHA-256 → what the officer recorded.
    """
    graph: list[dict[str, Any]] = []
    atlas_tool = _iri(ctx, "AnalyticTool", f"atlas {ctx.atlas_version}")
    graph.append({"@id": atlas_tool, "@type": "uco-tool:AnalyticTool", "uco-core:name": "Atlas",
                  "uco-tool:version": ctx.atlas_version, "uco-tool:toolType": "digital-evidence timeline analysis",
                  "uco-core:description": "Offline digital-evidence timeline analysis for stalking investigations "
                                          "(England and Wales); decision support, not legal advice"})
    srcs = sorted(sources, key=lambda s: (ctx.refs.get(s.source_id, ""), s.source_id))
    parser_tools: dict[tuple[str, str], str] = {}
    for s in srcs:
        key = (s.parser, s.parser_version)
        if key not in parser_tools:
            parser_tools[key] = _iri(ctx, "Tool", f"parser {s.parser} {s.parser_version}")
    for (name, version), iri in sorted(parser_tools.items()):
        graph.append({"@id": iri, "@type": "uco-tool:Tool", "uco-core:name": f"Atlas parser {name}",
                      "uco-tool:version": version, "uco-tool:toolType": "parser"})

    source_files: dict[str, list[str]] = {}
    by_sha = {s.sha256: s for s in srcs}
    records: list[str] = []
    store_iris: dict[str, str] = {}
    for rel, sha in sorted(store_files.items()):
        node = _file(ctx, f"store:{rel}:{sha}", rel.rsplit("/", 1)[-1], f"store/{rel}", None, sha)
        graph.append(node)
        store_iris[rel] = node["@id"]
    for s in srcs:
        exhibit = ctx.refs.get(s.source_id, "")
        main = _file(ctx, f"source:{s.sha256}", s.name, s.path, s.size, s.sha256)
        graph.append(main)
        iris = [main["@id"]]
        for cname, role, csize, csha in s.companions:
            comp = _file(ctx, f"companion:{csha}", cname, None, csize, csha)
            comp["uco-core:description"] = f"{role} read with {s.name} as one source"
            graph.append(comp)
            iris.append(comp["@id"])
        source_files[s.source_id] = iris
        record: dict[str, Any] = {
            "@id": _iri(ctx, "ProvenanceRecord", f"exhibit:{s.sha256}"), "@type": "case-investigation:ProvenanceRecord",
            "uco-core:name": f"Exhibit {exhibit}" if exhibit else f"Source {s.name}",
            "uco-core:object": [_ref(i) for i in iris],
        }
        if exhibit:
            record["case-investigation:exhibitNumber"] = exhibit
        note = continuity.get(s.sha256)
        if note is not None:
            said = [f"supplied by {note.supplied_by}" if note.supplied_by else "",
                    f"received {note.received}" if note.received else "", f"seal {note.seal}" if note.seal else ""]
            record["uco-core:description"] = "Continuity recorded by the officer: " + "; ".join(x for x in said if x)
        graph.append(record)
        records.append(record["@id"])

    actions: list[str] = []
    for entry in sorted(audit, key=lambda e: e.seq):
        detail = entry.detail
        if entry.action == "ingest" and str(detail.get("sha256", "")) in by_sha:
            s = by_sha[str(detail["sha256"])]
            results = [store_iris[rel] for rel in (f"events/{s.source_id}.parquet", f"rejects/{s.source_id}.parquet",
                                                   f"evidence/{s.source_id}.parquet") if rel in store_iris]
            node = _action(
                ctx, f"audit:{entry.seq}", f"ingest of {ctx.refs.get(s.source_id, s.name)}",
                f"{s.name} read by parser {detail.get('parser', s.parser)} {detail.get('parser_version', s.parser_version)}: "
                f"records read {detail.get('records_read', s.records_read)} = events {detail.get('events', s.events)} + "
                f"rejects {detail.get('rejects', s.rejects)}; {_hashing(detail)}",
                at=entry.at, instruments=[atlas_tool, parser_tools[(s.parser, s.parser_version)]],
                objects=source_files[s.source_id], results=results)
        elif entry.action in ANALYSIS_ACTIONS:
            what = ANALYSIS_ACTIONS[entry.action]
            link = entry.action in LINK_DECISIONS and "a" in detail and "b" in detail
            facts = _link_facts(ctx, detail) if link else _facts(ctx, detail)
            node = _action(ctx, f"audit:{entry.seq}", what, facts or what, at=entry.at, instruments=[atlas_tool],
                           objects=[i for s in srcs for i in source_files[s.source_id]])
            if link and (link_id := detail.get("link_id") or detail.get("key")):
                node["uco-core:externalReference"] = [_ledger_reference(ctx, str(link_id))]
        else:
            continue
        graph.append(node)
        actions.append(node["@id"])
    export = _action(
        ctx, "export:case-uco", "export as CASE/UCO",
        f"This document, written by Atlas {ctx.atlas_version} from case {ctx.case_reference}. Identity links followed: "
        f"{ctx.policy.describe(ctx.refs, ctx.parties)}." + (f" {ctx.integrity}." if ctx.integrity else ""), at=None, instruments=[atlas_tool],
        objects=[i for s in srcs for i in source_files[s.source_id]] + sorted(store_iris.values()))
    graph.append(export)
    actions.append(export["@id"])
    graph.append({
        "@id": _iri(ctx, "Investigation", "case"), "@type": "case-investigation:Investigation",
        "uco-core:name": ctx.case_reference, "case-investigation:investigationForm": "case",
        "case-investigation:focus": "stalking (Protection from Harassment Act 1997, ss 2A and 4A)",
        "uco-core:object": [_ref(i) for i in actions + records],
    })
    graph.sort(key=lambda n: n["@id"])
    return {"@context": {"kb": _kb_prefix(ctx.case_reference), **CONTEXT}, "@graph": graph}


def dumps(document: Mapping[str, Any]) -> str:
    """Deterministic JSON-LD text: sorted keys, two-space indent, UTF-8 kept readable."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["ANALYSIS_ACTIONS", "CONTEXT", "AuditEntry", "ContinuityNote", "SourceFile", "build", "dumps"]


def _hashing(detail: Mapping[str, Any]) -> str:
    """How an ingest took the source's SHA-256, as its audit row records it (``hash_basis``)."""
    if detail.get("hash_basis") == HASH_BASIS_BYTES:
        return (f"SHA-256 {detail.get('sha256')} of the bytes read once through a read-only handle and parsed; "
                "the file's device, inode, size, modification and status-change times checked unchanged after the parse")
    return f"SHA-256 before {detail.get('sha256')} and after {detail.get('sha256_after', detail.get('sha256'))}"
