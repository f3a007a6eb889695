"""``report.md`` with its pictures, and ``report.html``: the same report as one self-contained page.

A report is rendered once, as Markdown, from its data (the rack report dictionary of
:mod:`solver.output.report`, the plate summary of :mod:`solver.output.plate_report`, the sections
the pipeline appends: scenarios, scenarios in time). :func:`write_report_pages` then

* appends a ``## Pictures`` section to the Markdown: every PNG of the result's ``images/``
  folder, sorted by file name, each under a caption made from its name
  (``rack_temperature.png`` -> "rack temperature"), linked relatively (``images/...png``);
* converts that Markdown to HTML with markdown-it-py (CommonMark with tables; raw HTML in the
  text is escaped, never passed through), so ``report.html`` holds exactly the tables of
  ``report.md``;
* inlines every picture as a base64 ``data:`` URI and the style sheet in a ``<style>`` element:
  the page loads nothing from anywhere (an image that is not a PNG file inside the result folder
  is left out, with its text in its place) and opens in any browser, also when mailed alone;
* shows the report's verdict headline (by convention the first paragraph, right under the title)
  as a banner: red for FAIL, green for PASS, grey for n/a. The verdict itself is passed in from
  the report's data, not read back from the text.

Both files are written atomically (:mod:`solver.output.atomic`).
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from urllib.parse import quote, unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from solver.output.atomic import atomic_write_text

PICTURES_HEADING = "## Pictures"
VERDICT_CLASSES = {"FAIL": "fail", "PASS": "pass", "n/a": "na"}
# a table cell read as a number (right-aligned): 12, -3.5, 6.8e-15, 1,000.0, a range 51.0..59.9,
# or "-" for a missing one
NUMBER = re.compile(r"^(-|[-+]?[\d,]*\.?\d+(e[-+]?\d+)?(\.\.[-+]?[\d,]*\.?\d+(e[-+]?\d+)?)?)$",
                    re.IGNORECASE)

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #1b1b1b; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.3em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
p.verdict { font-size: 1.5em; font-weight: bold; padding: 0.5em 0.8em; border-radius: 6px;
            color: #fff; }
p.verdict.fail { background: #c00000; }
p.verdict.pass { background: #1a7f37; }
p.verdict.na { background: #6e7781; }
p.verdict strong { font-weight: bold; }
table { border-collapse: collapse; margin: 0.5em 0 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; }
th { background: #eef1f4; text-align: left; }
td { text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #f7f8fa; }
code, pre { background: #f2f2f2; border-radius: 3px; font-size: 0.9em; }
pre { padding: 0.6em; overflow-x: auto; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
"""


def markdown_table(headers, rows) -> list[str]:
    """Lines of a Markdown table (and a blank line after it); a ``|`` inside a cell is escaped
    and a line break becomes a space, so that any name keeps the table intact."""
    def cell(value) -> str:
        return " ".join(str(value).split("\n")).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def verdict_status(passed) -> str:
    """``"PASS"``, ``"FAIL"`` or ``"n/a"`` of a verdict given as True / False / None."""
    return {True: "PASS", False: "FAIL", None: "n/a"}[passed]


def caption(picture: Path) -> str:
    """The caption of a picture from its file name: ``rack_temperature.png`` ->
    ``rack temperature``."""
    return picture.stem.replace("_", " ").replace("-", " ").strip() or picture.name


def pictures(directory) -> list[Path]:
    """The PNG pictures of a result, ``<directory>/images/*.png``, sorted by file name."""
    folder = Path(directory) / "images"
    return sorted(folder.glob("*.png")) if folder.is_dir() else []


def without_pictures(markdown: str) -> str:
    """``markdown`` with its ``## Pictures`` section (up to the next ``## `` heading) removed."""
    lines, kept, inside = markdown.splitlines(), [], False
    for line in lines:
        if line.strip() == PICTURES_HEADING:
            inside = True
            continue
        if inside and line.startswith("## "):
            inside = False
        if not inside:
            kept.append(line)
    return "\n".join(kept).rstrip() + "\n"


def with_pictures(markdown: str, directory) -> str:
    """``markdown`` with one ``## Pictures`` section at its end listing the result's pictures
    now (relative links ``images/<name>.png``); none when the folder has no picture."""
    text = without_pictures(markdown)
    found = pictures(directory)
    if not found:
        return text
    lines = ["", PICTURES_HEADING, ""]
    for picture in found:
        lines += [f"### {caption(picture)}", "",
                  f"![{caption(picture)}](images/{quote(picture.name)})", ""]
    return text + "\n".join(lines)


def _data_uri(directory: Path, source: str) -> str | None:
    """The ``data:`` URI of the PNG picture ``source`` (a percent-encoded path relative to
    ``directory``), or None when it is not a PNG file inside ``directory`` (a web address,
    ``..``, missing)."""
    source = unquote(source)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", source) or source.startswith(("/", "\\")):
        return None
    root = directory.resolve()
    path = (root / source).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    if path.suffix.lower() != ".png":
        return None
    return f"data:image/png;base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_pictures(tokens: list[Token], directory: Path) -> None:
    """Replace every image source by its data URI; an image that cannot be inlined becomes
    the text ``[picture not embedded: <alt> (<source>)]``."""
    for token in tokens:
        for index, child in enumerate(token.children or ()):
            if child.type != "image":
                continue
            source = str(child.attrGet("src") or "")
            uri = _data_uri(directory, source)
            if uri is not None:
                child.attrSet("src", uri)
                continue
            alt = "".join(c.content for c in child.children or ())
            text = Token("text", "", 0)
            text.content = f"[picture not embedded: {alt} ({source})]"
            token.children[index] = text


def _align_numbers(tokens: list[Token]) -> None:
    """Mark the table cells that hold a number (class ``number``: right-aligned)."""
    for opening, content in zip(tokens, tokens[1:], strict=False):
        if opening.type == "td_open" and NUMBER.match(content.content.strip()):
            opening.attrSet("class", "number")


def _mark_verdict(tokens: list[Token], status: str) -> None:
    """Give the first paragraph (the verdict headline under the title) its banner class."""
    for token in tokens:
        if token.type == "paragraph_open":
            token.attrSet("class", f"verdict {VERDICT_CLASSES[status]}")
            return


def report_html(markdown: str, directory, status: str) -> str:
    """The self-contained HTML page of a Markdown report of the result in ``directory``.

    Parameters
    ----------
    markdown : str
        The report, as written to ``report.md`` (title ``# ...`` first, then the verdict
        headline paragraph).
    directory : path-like
        The result folder; image links are resolved against it and inlined.
    status : str
        ``"PASS"``, ``"FAIL"`` or ``"n/a"``: the report's verdict, which colours the headline.
    """
    if status not in VERDICT_CLASSES:
        raise ValueError(f"verdict status must be one of {', '.join(VERDICT_CLASSES)}, "
                         f"got {status!r}")
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(markdown)
    _inline_pictures(tokens, Path(directory))
    _mark_verdict(tokens, status)
    _align_numbers(tokens)
    title = next((tokens[i + 1].content for i, t in enumerate(tokens)
                  if t.type == "heading_open" and t.tag == "h1"), "coolsim report")
    body = parser.renderer.render(tokens, parser.options, {})
    head = html.escape(f"{status}: {title}")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{head}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"{body}</body>\n</html>\n")


def write_report_pages(directory, markdown: str, status: str) -> dict[str, Path]:
    """Write ``report.md`` (``markdown`` with the pictures of ``directory/images``) and
    ``report.html`` (the same, self-contained) into ``directory``, both atomically.

    Returns the paths by kind (``markdown``, ``html``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    text = with_pictures(markdown, directory)
    return {"markdown": atomic_write_text(directory / "report.md", text),
            "html": atomic_write_text(directory / "report.html",
                                      report_html(text, directory, status))}


__all__ = ["PICTURES_HEADING", "caption", "markdown_table", "pictures", "report_html",
           "verdict_status", "with_pictures", "without_pictures", "write_report_pages"]
