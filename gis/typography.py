"""Japanese line breaking for pages and prints: the one place that decides where a line may break.

BudouX splits a text into phrases; a line may break between phrases (and at spaces), never inside one,
so headings and labels do not break as デ/モ or ガイドブ/ック, and a number stays with its unit (500円,
8か所). On top of BudouX, 禁則: a phrase that would start a line with a closing bracket, a comma or
full stop, ー, a small kana or a wave dash is joined to the phrase before it, and one that ends with an
opening bracket is joined to the phrase after it.

Templates use the `phrases` filter (see site_template: a span per phrase, or <wbr> between them).
"""

from __future__ import annotations

import re
from functools import lru_cache

import budoux

# Characters that may not start a line (行頭禁則) and may not end one (行末禁則).
NO_LINE_START = set(
    "、。，．,.・：；:;？！?!ー～〜‐゠–」』）)］]｝}〕〉》】〙〗ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ々ゝゞヽヾ%％"
)
NO_LINE_END = set("「『（(［[｛{〔〈《【〘〖")
_DIGIT_END = re.compile(r"[0-9０-９]$")
_UNIT_START = re.compile(r"^(?:[0-9０-９]|[円歳時分人名回か箇ヶ個件日月年%％㎞km]|か所|ヶ所|箇所)")


@lru_cache(maxsize=1)
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


def phrases(text: str) -> list[str]:
    """The text cut into the pieces a line may break between; joined, they give the text back exactly."""
    if not text:
        return []
    pieces: list[str] = []
    for chunk in re.findall(r"\S+\s*|\s+", text):  # a space is always a break; it stays with what precedes it
        pieces.extend(_parser().parse(chunk) or [chunk])
    joined: list[str] = []
    for piece in pieces:
        if joined and _must_join(joined[-1], piece):
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def _must_join(before: str, after: str) -> bool:
    if before[-1].isspace():
        return False
    if after[0] in NO_LINE_START or before[-1] in NO_LINE_END:
        return True
    return bool(_DIGIT_END.search(before) and _UNIT_START.match(after))
