"""A :class:`~reports.document.Document` as HTML: the same model as the DOCX, for reading on screen.

Self-contained (styles inline, figures embedded as data URIs) and printable (A4 page
rules). HTML has no reliable page count, so the declaration leaves the number of pages
for the officer to complete from the signed copy.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Final

from atlas.export.text import xml_safe

from .document import Bullets, Document, Figure, Para, Table

_CSS: Final = """
@page { size: A4; margin: 20mm 18mm 22mm 18mm; }
body { font-family: Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif; font-size: 10.5pt; color: #111;
       max-width: 180mm; margin: 0 auto; padding: 12px; line-height: 1.38; }
.banner { background: #fdecea; border: 2px solid #b2182b; color: #8a1c1c; padding: 6px 10px; font-weight: bold; }
@media print { .banner.integrity { position: fixed; top: 0; left: 0; right: 0; font-size: 8pt; } }
.mg { border-collapse: collapse; width: 100%; margin: 8px 0; }
.mg td { border: 1px solid #777; padding: 4px 8px; } .mg td.l { background: #e8edf3; font-weight: bold; width: 28%; }
h1 { text-align: center; font-size: 16pt; margin: 10px 0 0 0; } .auth { text-align: center; font-size: 8.5pt; }
h2 { font-size: 13pt; color: #1f3a5f; border-bottom: 1px solid #1f3a5f; margin-top: 18px; }
p.n { padding-left: 2.2em; text-indent: -2.2em; } p.n span.num { display: inline-block; width: 2.2em; text-indent: 0; }
p.em { font-style: italic; }
table.t { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 2px 0 10px 0; }
table.t.small { font-size: 8pt; }
table.t th { background: #dde4ee; text-align: left; } table.t th, table.t td { border: 1px solid #999; padding: 2px 4px;
  vertical-align: top; overflow-wrap: anywhere; }
td.mono { font-family: 'Courier New', 'DejaVu Sans Mono', monospace; font-size: 7.5pt; }
.cap { font-weight: bold; font-size: 9pt; margin: 6px 0 2px 0; }
figure { margin: 8px 0; } figure img { width: 100%; } figcaption { font-style: italic; font-size: 9pt; }
.sig { margin-top: 10px; } ul { margin-top: 2px; } li { font-size: 9.5pt; }
"""


_LANDSCAPE: Final = """
@page { size: A4 landscape; } body { max-width: 270mm; }
"""
"""A wide schedule (the MG6C) is laid out and printed in landscape."""


def _e(text: object) -> str:
    """Escaped for HTML, with each character XML cannot hold (a control character in a quoted message)
    written as ``\\xNN``, as the DOCX writes it, so both forms of a document read alike."""
    return html.escape(xml_safe(str(text)), quote=True)


def _table(t: Table) -> str:
    weights = t.widths or [1.0] * len(t.columns)
    total = sum(weights)
    cols = "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in weights)
    head = "".join(f"<th>{_e(c)}</th>" for c in t.columns)
    body = "".join(
        "<tr>" + "".join(f'<td{" class=mono" if i in t.mono else ""}>{_e(v)}</td>' for i, v in enumerate(r)) + "</tr>"
        for r in t.rows
    ) or f'<tr><td colspan="{len(t.columns)}">none</td></tr>'
    cap = f'<div class="cap">{_e(t.caption)}</div>' if t.caption else ""
    cls = "t small" if t.small else "t"
    return f'{cap}<table class="{cls}"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _figure(f: Figure) -> str:
    data = base64.b64encode(Path(f.path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{_e(f.caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(f.caption)}</figcaption></figure>")


def render(st: Document, path: Path) -> Path:
    parts = [
        "<!DOCTYPE html>", '<html lang="en-GB">', "<head>", '<meta charset="utf-8">',
        f"<title>{_e(st.title.capitalize())} ({_e(st.marking)}) {_e(st.reference)}</title>",
        f"<style>{_CSS}{_LANDSCAPE if st.landscape else ''}</style>",
        "</head>", "<body>", f'<div class="banner">{_e(st.marking)}: {_e(st.banner)}</div>',
        *([f'<div class="banner integrity">{_e(st.integrity_notice)}</div>'] if st.integrity_notice else []),
        f"<h1>{_e(st.title)}</h1>",
    ]
    front = st.front
    if front is not None:
        parts += [f'<div class="auth">({_e(front.authority)})</div>', '<table class="mg">']
        parts += [f'<tr><td class="l">{_e(k)}</td><td>{_e(v)}</td></tr>' for k, v in front.header]
        parts.append("</table>")
        parts.append(f"<p>{_e(front.declaration.replace('{pages}', '____'))}</p>")
        parts.append(f'<p class="sig">Signature: ......................................... Date: '
                     f"{_e(front.signature_date or '..................')}</p>")
    number = 0
    for section in st.sections:
        parts.append(f"<h2>{_e(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Para):
                cls = " ".join(c for c in ("n" if block.numbered else "", "em" if block.emphasis else "") if c)
                attr = f' class="{cls}"' if cls else ""
                if block.numbered:
                    number += 1
                    parts.append(f'<p{attr}><span class="num">{number}.</span>{_e(block.text)}</p>')
                else:
                    parts.append(f"<p{attr}>{_e(block.text)}</p>")
            elif isinstance(block, Bullets):
                parts.append("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in block.items) + "</ul>")
            elif isinstance(block, Table):
                parts.append(_table(block))
            elif isinstance(block, Figure):
                parts.append(_figure(block))
    if st.closing:
        parts.append(f'<p class="sig"><b>{_e(st.closing)}</b></p>')
    parts += ["</body>", "</html>"]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
