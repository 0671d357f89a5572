#!/usr/bin/env bash
# Checks the documentation's links (`make test` runs it first, through scripts/test.sh): every
# relative link in README.md and docs/**/*.md points at a file or folder that exists, and a
# `#anchor` at a heading of the Markdown file it names (GitHub's heading ids). Paths listed in
# docs/pending-links.txt (pages being written elsewhere) count as existing. Links to http(s),
# mailto and the like are not followed: this runs offline.
#
#   scripts/docs-check.sh            prints `file:line: sentence` per broken link; exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - <<'PY'
import os
import re
import sys
import unicodedata

LINK = re.compile(r"(?<!\\)\[(?:[^\]\\]|\\.)*?\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def markdown_files():
    files = ["README.md"]
    for folder, _, names in os.walk("docs"):
        files += [os.path.join(folder, name) for name in sorted(names) if name.endswith(".md")]
    return sorted(files)


def pending_paths():
    path = "docs/pending-links.txt"
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as handle:
        lines = [line.strip() for line in handle]
    return {os.path.normpath(line) for line in lines if line and not line.startswith("#")}


def prose(path):
    """The file's text with fenced code blocks blanked and inline code replaced by `code` (line
    breaks kept, so offsets give line numbers): links inside code are examples, not links."""
    with open(path, encoding="utf-8") as handle:
        lines, fenced = [], False
        for line in handle:
            if FENCE.match(line):
                fenced = not fenced
                lines.append("\n")
            else:
                lines.append("\n" if fenced else INLINE_CODE.sub("code", line))
    return "".join(lines)


def slug(heading):
    """GitHub's id for a heading: its text lower-cased, punctuation removed, spaces as hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text
    text = re.sub(r"<[^>]+>", "", text).lower()
    kept = []
    for character in text:
        category = unicodedata.category(character)
        if character in " -_" or category[0] in "LN":
            kept.append(character)
    return "".join(kept).replace(" ", "-")


anchor_cache = {}


def anchors(path):
    if path not in anchor_cache:
        found, seen, fenced = set(), {}, False
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if FENCE.match(line):
                    fenced = not fenced
                    continue
                match = None if fenced else HEADING.match(line)
                if not match:
                    continue
                base = slug(match.group(1))
                count = seen.get(base, 0)
                seen[base] = count + 1
                found.add(base if count == 0 else f"{base}-{count}")
        anchor_cache[path] = found
    return anchor_cache[path]


problems = []
pending = pending_paths()
checked = 0
for source in markdown_files():
    text = prose(source)
    for match in LINK.finditer(text):
        target = match.group(1)
        number = text.count("\n", 0, match.start(1)) + 1
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        checked += 1
        path_part, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(source), path_part) if path_part else source)
        if resolved.startswith(".."):
            problems.append(f"{source}:{number}: {target} points outside the repository")
        elif resolved in pending:
            continue
        elif not os.path.exists(resolved):
            problems.append(f"{source}:{number}: {target}: {resolved} does not exist (add the page, fix the link, or list it in docs/pending-links.txt)")
        elif anchor and resolved.endswith(".md") and os.path.isfile(resolved) and anchor not in anchors(resolved):
            problems.append(f"{source}:{number}: {target}: {resolved} has no heading with the id #{anchor}")

for problem in problems:
    print(problem)
if problems:
    print(f"docs-check: {len(problems)} broken link(s) of {checked} checked", file=sys.stderr)
    sys.exit(1)
print(f"docs-check: {checked} relative links in README.md and docs/ all resolve")
PY
