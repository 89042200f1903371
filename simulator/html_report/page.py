"""One self-contained HTML page: headline cards, plotly figures, tables and notes.

The page carries plotly.js (the copy bundled in the ``plotly`` Python package, inlined) and the
data of every figure, so it opens offline with no network and no other file. Figures are
plotly figure dicts (built with ``plotly.graph_objects``, which validates them); the page draws
them with ``Plotly.newPlot`` when it loads.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from typing import Any

from ..headline import Headline

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;
     background:#f6f8fa}
header{background:#24292f;color:#fff;padding:14px 28px}
header h1{margin:0;font-size:20px} header p{margin:4px 0 0;color:#c9d1d9;font-size:13px}
main{padding:8px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:16px 0;padding:12px 18px}
section h2{font-size:16px;margin:4px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #d0d7de;border-left:5px solid #8c959f;border-radius:6px;padding:8px 12px;
      min-width:170px;background:#fff}
.card .l{font-size:12px;color:#57606a}.card .v{font-size:20px;font-weight:600}
.card .d{font-size:12px;color:#57606a;max-width:320px}
.card.ok{border-left-color:#1a7f37}.card.warn{border-left-color:#bf8700}
.card.fail{border-left-color:#cf222e}.card.info{border-left-color:#0969da}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #d8dee4;padding:3px 10px;text-align:right;white-space:nowrap}
th{background:#f6f8fa} td.t,th.t{text-align:left}
td code{white-space:pre;font-size:12px;color:#0550ae}
.note{font-size:12px;color:#57606a}
.good{color:#1a7f37}.bad{color:#cf222e}
.plot{width:100%;min-height:320px}
"""

# Reports errors in the page (a figure that failed to draw) visibly, for the user and the tests.
BOOT = """
(function(){
  var figs = JSON.parse(document.getElementById('h7-figures').textContent);
  var pending = [];
  figs.forEach(function(f){
    var el = document.getElementById(f.id);
    pending.push(Plotly.newPlot(el, f.data, f.layout,
      {displaylogo:false, responsive:true}).then(function(){ el.dataset.drawn = '1'; }));
  });
  Promise.all(pending).then(function(){ document.body.dataset.plotsDrawn = String(figs.length); },
    function(e){ console.error('plot failed: ' + e); });
})();
"""


@dataclass
class Page:
    title: str
    subtitle: str = ""
    parts: list[str] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)

    def section(self, title: str, anchor: str | None = None) -> None:
        if self.parts and self.parts[-1] != "</section>":
            self.parts.append("</section>")
        a = f' id="{html.escape(anchor)}"' if anchor else ""
        self.parts.append(f"<section{a}><h2>{html.escape(title)}</h2>")

    def cards(self, items: list[Headline]) -> None:
        out = ['<div class="cards">']
        for h in items:
            out.append(f'<div class="card {html.escape(h.status)}"><div class="l">'
                       f'{html.escape(h.label)}</div><div class="v">{html.escape(h.value)}</div>'
                       f'<div class="d">{html.escape(h.detail)}</div></div>')
        out.append("</div>")
        self.parts.append("".join(out))

    def figure(self, fig: Any, height: int | None = None) -> None:
        """Add a plotly figure (a ``plotly.graph_objects.Figure`` or its dict)."""
        d = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig
        fid = f"fig{len(self.figures)}"
        layout = dict(d.get("layout") or {})
        layout.setdefault("margin", {"l": 60, "r": 20, "t": 40, "b": 50})
        if height:
            layout["height"] = height
        self.figures.append({"id": fid, "data": d.get("data") or [], "layout": layout})
        self.parts.append(f'<div class="plot" id="{fid}"></div>')

    def table(self, columns: list[str], rows: list[list[Any]], text_columns: int = 1) -> None:
        """Rows of plain values (escaped) or ``Raw`` HTML fragments."""
        out = ["<table><tr>"]
        for k, c in enumerate(columns):
            out.append(f'<th class="{"t" if k < text_columns else ""}">{html.escape(c)}</th>')
        out.append("</tr>")
        for r in rows:
            out.append("<tr>")
            for k, v in enumerate(r):
                cls = ' class="t"' if k < text_columns else ""
                out.append(f"<td{cls}>{v.html if isinstance(v, Raw) else html.escape(str(v))}"
                           "</td>")
            out.append("</tr>")
        out.append("</table>")
        self.parts.append("".join(out))

    def note(self, text: str) -> None:
        self.parts.append(f'<p class="note">{html.escape(text)}</p>')

    def raw(self, fragment: str) -> None:
        self.parts.append(fragment)

    def render(self) -> str:
        from plotly.offline import get_plotlyjs

        parts = list(self.parts)
        if parts and parts[-1] != "</section>":
            parts.append("</section>")
        figs = json.dumps(self.figures, default=_json_default, allow_nan=False)
        return "".join([
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
            f"<title>{html.escape(self.title)}</title>",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<style>{CSS}</style></head><body>",
            f"<header><h1>{html.escape(self.title)}</h1>",
            f"<p>{html.escape(self.subtitle)}</p></header><main>",
            *parts,
            "</main>",
            f"<script>{get_plotlyjs()}</script>",
            '<script type="application/json" id="h7-figures">',
            _script_safe(figs), "</script>",
            f"<script>{BOOT}</script></body></html>\n"])


@dataclass
class Raw:
    """An HTML fragment for a table cell (already escaped by the caller)."""

    html: str


def link(href: str, text: str) -> Raw:
    return Raw(f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>')


def code(text: str) -> Raw:
    return Raw(f"<code>{html.escape(text)}</code>")


def signed(value: float | None, text: str, lower_is_better: bool = True) -> Raw:
    """A delta coloured green when it is an improvement, red when it is a regression."""
    if value is None or value == 0:
        return Raw(html.escape(text))
    good = (value < 0) == lower_is_better
    return Raw(f'<span class="{"good" if good else "bad"}">{html.escape(text)}</span>')


def _script_safe(text: str) -> str:
    """JSON inside <script>: '<' only occurs inside JSON strings, where \\u003c means the same
    character and cannot end the element or open a comment."""
    return text.replace("<", "\\u003c")


def _json_default(o: Any) -> Any:
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None
