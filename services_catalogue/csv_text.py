"""Turning an uploaded CSV's bytes into text, the way every importer here accepts them.

Spreadsheet exports arrive as UTF-8, UTF-8 with a byte order mark or Windows-1252; UTF-16
and binary files are refused with a message that says how to re-save the file.
"""

import codecs
import re

CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class CsvTextError(ValueError):
    """The bytes are not CSV text; `line` is the 1-based line where that shows, if known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 (with or without a byte order mark) or Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvTextError(
            "The file is UTF-16 text (Excel's \u201cUnicode text\u201d). "
            "Save it as \u201cCSV UTF-8 (comma delimited)\u201d instead."
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CsvTextError(
            "The file contains a NUL byte: it is not a CSV text file.",
            line=data.count(b"\n", 0, nul) + 1,
        )
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8):]
        try:
            text, encoding = body.decode("utf-8"), "UTF-8 with byte order mark"
        except UnicodeDecodeError as error:
            raise CsvTextError(
                "The file starts as UTF-8 but is not valid UTF-8 "
                f"(byte 0x{body[error.start]:02x}). Save it again as \u201cCSV UTF-8\u201d.",
                line=body.count(b"\n", 0, error.start) + 1,
            ) from None
    else:
        try:
            text, encoding = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError as error:
                raise CsvTextError(
                    "The file is neither UTF-8 nor Windows-1252 text "
                    f"(byte 0x{data[error.start]:02x}). Save it as \u201cCSV UTF-8\u201d.",
                    line=data.count(b"\n", 0, error.start) + 1,
                ) from None
    control = CONTROL_CHARACTER.search(text)
    if control:
        raise CsvTextError(
            f"The file contains a control character (U+{ord(control.group()):04X}): "
            "it does not look like a CSV text file.",
            line=text.count("\n", 0, control.start()) + 1,
        )
    return text, encoding
