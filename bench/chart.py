#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The benchmark's chart: an SVG of bars per setup, written next to the run's Markdown table.

    chart.py TITLE SUBTITLE < TABLE.tsv > CHART.svg

TABLE.tsv is bench/run.sh's table (a header line, then one line per setup, tab-separated).
Three panels side by side: TCP 1 stream Gbit/s, ping median us (shorter is better) and 64-byte
UDP kpps received; a setup without a figure shows "n/a". tapkit's rows are drawn in another
colour. Plain SVG 1.1, no script, no external reference: it renders on GitHub and in browsers.
"""
import sys
from xml.sax.saxutils import escape

PANELS = (("TCP 1 stream Gbit/s", "TCP, 1 stream (Gbit/s, longer is better)"),
          ("ping median us", "ping median (us, shorter is better)"),
          ("UDP 64 B kpps", "64-byte UDP received (kpps, longer is better)"))
title, subtitle = sys.argv[1], sys.argv[2]
lines = sys.stdin.read().splitlines()
head = lines[0].split("\t")
rows = [line.split("\t") for line in lines[1:]]

LABEL_W, PANEL_W, BAR_W, ROW_H, TOP = 230, 300, 230, 22, 74
width = LABEL_W + PANEL_W * len(PANELS) + 10
height = TOP + ROW_H * len(rows) + 16
out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
       'font-family="sans-serif" font-size="12">' % (width, height, width, height),
       '<rect width="100%" height="100%" fill="white"/>',
       '<text x="8" y="20" font-size="15" font-weight="bold">%s</text>' % escape(title),
       '<text x="8" y="38" fill="#444">%s</text>' % escape(subtitle)]
for i, r in enumerate(rows):
    y = TOP + i * ROW_H
    out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (LABEL_W - 8, y + 15, escape(r[0])))
for p, (col, name) in enumerate(PANELS):
    x0 = LABEL_W + p * PANEL_W
    out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (x0, TOP - 10, escape(name)))
    c = head.index(col)
    vals = []
    for r in rows:
        try:
            vals.append(float(r[c]))
        except (IndexError, ValueError):
            vals.append(None)
    top = max([v for v in vals if v is not None] or [1]) or 1
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>' % (x0, TOP - 4, x0, TOP + ROW_H * len(rows)))
    for i, (r, v) in enumerate(zip(rows, vals)):
        y = TOP + i * ROW_H
        if v is None:
            out.append('<text x="%d" y="%d" fill="#888">n/a</text>' % (x0 + 4, y + 15))
            continue
        w = max(1.0, v / top * BAR_W)
        colour = "#d9534f" if r[0].startswith("tapkit") else "#5b7fb5"
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (x0, y + 3, w, ROW_H - 6, colour))
        out.append('<text x="%.1f" y="%d">%s</text>' % (x0 + w + 4, y + 15, escape(r[c])))
out.append("</svg>")
print("\n".join(out))
