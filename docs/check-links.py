"""Check that every relative link and anchor in README.md and docs/*.md resolves.

Run from anywhere: `python3 docs/check-links.py`. Anchors are matched against GitHub's
heading slugs (lower case, punctuation dropped, spaces to hyphens, `-1`, `-2` for
repeats). Links inside code (fenced blocks, inline backticks) and absolute URLs are
not checked. Exit status 1 and one line per broken link when any is broken.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def prose(text: str) -> str:
    """The text outside fenced code blocks and inline code."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def slugs(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a markdown file."""
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.*?)\s*#*\s*$", FENCE.sub("", path.read_text()), re.M):
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def problems(md: Path) -> list[str]:
    found = []
    for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose(md.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        dest = (md.parent / path).resolve() if path else md
        if not dest.exists():
            found.append(f"{md.relative_to(ROOT)}: {target}: no such file")
        elif anchor and (dest.suffix != ".md" or anchor not in slugs(dest)):
            found.append(f"{md.relative_to(ROOT)}: {target}: no such heading")
    return found


def main() -> int:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [line for md in files for line in problems(md)]
    print("\n".join([*broken, f"{len(files)} files, {len(broken)} broken links"]))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
