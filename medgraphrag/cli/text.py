"""Text from data, made safe for the terminal: every command prints titles, sources, names and
values through these, so that no control character from a document or a query reaches the
terminal raw (an escape sequence could recolour, retitle or rewrite what the user sees)."""

from __future__ import annotations

import logging

from rich.markup import escape

# C0 controls but tab and newline, DEL, and C1 controls (0x9b alone starts a sequence in some
# terminals). ESC is among them, so an escape sequence loses its meaning with its first byte.
_CONTROLS = [c for c in range(0x20) if chr(c) not in "\t\n"] + [0x7F, *range(0x80, 0xA0)]
_VISIBLE = {c: f"\\x{c:02x}" for c in _CONTROLS}
# In JSON, the C0 controls are escaped already; DEL and C1 may appear raw in strings.
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in [0x7F, *range(0x80, 0xA0)]}


def visible(value: object) -> str:
    """`value` as text with every terminal control character written out (`\\x1b`)."""
    return str(value).translate(_VISIBLE)


def shown(value: object) -> str:
    """`value` as text to put in rich markup: control characters written out, markup escaped."""
    return escape(visible(value))


def json_text(text: str) -> str:
    """JSON text with DEL and C1 control characters escaped (`\\u009b`), which means the same
    JSON and prints safely."""
    return text.translate(_JSON_ESCAPES)


class VisibleLogHandler(logging.StreamHandler):
    """Log lines on stderr with control characters written out (records quote sources and names)."""

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, made visible."""
        return visible(super().format(record))
