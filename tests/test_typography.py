"""Japanese line breaks: where a line may break in headings, labels and prints."""

from __future__ import annotations

import pytest

from gis.typography import NO_LINE_START, phrases


@pytest.mark.parametrize(
    "text, unbroken",
    [
        ("たから市 宝物マップ デモ", ["マップ", "デモ"]),
        ("くらしき通いの場ガイドブック", ["ガイドブック"]),
        ("参加費は500円です", ["500円"]),
        ("市内8か所のスーパーで買い物", ["8か所", "スーパー"]),
        ("第2・第4火曜日 13時30分～15時", ["～15時"]),
        ("（休止中）ふれあいサロン「さくら」", ["「さくら」"]),
    ],
)
def test_words_numbers_and_units_are_never_split(text: str, unbroken: list[str]) -> None:
    parts = phrases(text)
    assert "".join(parts) == text
    for word in unbroken:
        assert any(word in part for part in parts), (word, parts)


def test_no_piece_starts_with_a_character_that_may_not_start_a_line() -> None:
    texts = [
        "ふれあいサロン、はじめました。",
        "ラジオ体操（毎朝）ーみんなで",
        "ちょっとよってって",
        "ミニデイ・サービス",
    ]
    for text in texts:
        parts = phrases(text)
        assert "".join(parts) == text
        assert all(part[0] not in NO_LINE_START for part in parts[1:]), parts


def test_spaces_are_break_points_and_empty_text_has_no_pieces() -> None:
    assert phrases("") == []
    assert len(phrases("東地区 西地区")) >= 2
