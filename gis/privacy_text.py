"""Recognising private details in free text, however they are written: a private home (自宅, 山田さん宅,
山田家, コーポ山田 203号室 …), a home's name, a phone number (with or without its area code, in full-width
or kanji digits), an e-mail address and a street number. Only recognises: what to mask or withhold, and
when a record's own consent covers it, is decided in gis.privacy; the leak scanner (gis.leaks) and the
column reader (gis.columns) use the same recognisers, so every stage reads text one way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from gis.place import normalise_text

# Any wording of a private home, in 会場種別, a venue name or any other cell.
# 皆さん方 / 皆様方 (you all) and さん家族 (a family) are not anyone's home.
_HONORIFIC_HOME = (
    r"(?<!皆)(?<!みな)(?:さん|様|さま|氏|君|ちゃん)\s*"
    r"(?:宅|方|邸|家(?![族庭事具計電屋内業])|の(?:家|お宅|おうち|うち)|ち(?![ゃゅょ])|んち)"
)
_HOME = re.compile(
    r"自宅|じたく|ジタク|個人宅|個人の?(?:家|住宅|お宅)|個人邸|私宅|私邸|民家|居宅|お宅|住居|(?<!お)住まい|実家|"
    r"(?:私|わたし|自分|僕|ぼく|俺|うち|我|わ)(?:の|が)(?:家|いえ|うち|住まい)|自分ち|"
    + _HONORIFIC_HOME
    + r"|(?<![住三大])宅(?:$|[にでのへ（(\s・、,。]|内|前|に?て)|邸(?:$|[にでの（(\s、。]|内)|方にて|"
    r"(?:会員|代表者?|世話人|役員|当番|メンバー|リーダー|主催者|有志)の?(?:宅|家|自宅|お宅)|持ち?回り|もちまわり|各家庭|"
    # a room of a block of flats: コーポ山田 203号室, さくらマンション 一室
    r"(?:マンション|アパート|コーポ|ハイツ|メゾン|レジデンス|団地|荘)[^\s,、。]{0,12}?\s*"
    r"(?:[0-9]{2,4}号?室|[0-9]{3,4}(?![0-9号棟])|一室)|"
    r"private\s*(?:home|house|residence)|(?:my|our|his|her|their)\s*(?:own\s*)?(?:home|house|flat|apartment)\b|"
    r"(?:'s|s')\s*(?:home|house|place|flat)",
    re.IGNORECASE,
)
# A whole venue cell that is a family's house: 山田家, 佐藤家にて, 山田方 (not 農家, 夕方 …: the name
# before 家/方 is at least two characters and not a word that ends in 家/方 without naming a family).
_FAMILY_HOUSE = re.compile(
    r"^([一-龥々ァ-ヶー]{2,6})(家|方)"
    r"(?:$|[\s（(]|にて|で$|の(?:離れ|庭|座敷|居間|納屋|蔵|車庫|畑|前|裏|横|隣|向かい|脇))"
)
_NOT_FAMILY = {
    "家": (
        "農",
        "作",
        "画",
        "国",
        "本",
        "分",
        "旧",
        "商",
        "町",
        "武",
        "公",
        "一",
        "大",
        "借",
        "貸",
        "生",
        "書",
        "名",
        "良",
        "宗",
        "出",
        "在",
        "檀",
        "門",
        "術",
        "楽",
        "論",
        "築",
        "真",
        "説",
        "動",
        "業",
        "産",
        "力",
        "理",
        "芸",
        "語",
        "道",
        "究",
        "好",
        "治",
        "想",
        "筆",
        "憩",
        "の",
    ),
    "方": (
        "夕",
        "朝",
        "地",
        "両",
        "当",
        "先",
        "双",
        "一",
        "他",
        "貴",
        "大",
        "味",
        "行",
        "仕",
        "見",
        "片",
        "平",
        "前",
        "後",
        "上",
        "下",
        "四",
        "八",
        "遠",
        "処",
        "漢",
        "親",
        "奥",
        "殿",
        "裏",
        "目",
        "途",
        "明",
        "暮",
        "此",
        "彼",
        "北",
        "南",
        "東",
        "西",
        "相",
        "敵",
        "母",
        "父",
        "作",
        "使",
        "書",
        "読",
    ),
}
# A private home's name in free text: 山田さん宅, 山田様方, 田中花子さんの家, 鈴木さんち, 佐藤邸, 山田宅.
_HOME_NAME = re.compile(
    r"[一-龥々ァ-ヶーA-Za-z]{1,10}\s*"
    + _HONORIFIC_HOME
    + r"|[一-龥々]{1,8}(?<![住三大])(?:宅|邸)(?=$|[にでのへ（(\s・、,。]|内|前)"
)
_NOT_A_HOME_NAME = {"自宅", "個人宅", "お宅", "住宅", "邸宅", "私宅", "私邸", "民家", "居宅", "社宅"}
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\]|<at>|アット(?:マーク)?)\s*[A-Za-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z0-9-]+)+",
    re.IGNORECASE,
)
# A local number without its area code (22-1234, (22)1234), common in rural sheets: a phone only when a
# phone word comes right before it, since alone it reads like any other number.
_LOCAL_PHONE = re.compile(
    r"(?:電話|でんわ|tel|☎|℡|携帯|ケータイ|連絡先?|問い?合わ?せ先?|fax|ファックス|ファクス)(?:番号)?\s*[:.]?\s*"
    r"(\(?[0-9]{1,4}\)?[-\s]?[0-9]{4}(?:[-\s]?[0-9]{4})?)(?![0-9])",
    re.IGNORECASE,
)
# Phones: runs of digits joined by hyphens, spaces, dots or brackets (kanji digits read as digits).
_PHONE = re.compile(r"(?<![0-9])(?:\+81[-\s]?|\(?0)[0-9()\-\s.]{7,16}[0-9](?![0-9])")
# Street numbers: 1234番地, 3番5号, 14番地の3, and 12-34(-5) right after a town name.
_STREET = re.compile(
    r"[0-9十百千]+番地(?:の?[0-9十百千]+)?(?:号)?"
    r"|[0-9十百千]+番[0-9十百千]+(?:号)?"
    # 12-34(-5) or 12の34 right after a town name (a space between allowed): 本町 2-14-3
    r"|(?![第毎週月年日時分頃約各全])[一-龥々ぁ-んァ-ヶ]\s?"
    r"(?P<number>(?!0)[0-9]{1,5}(?:(?:-|の)[0-9]{1,5}){1,2})"
    r"(?![0-9時月日歳才人円分:.～~])"
)
_KANJI_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_ZERO_WIDTH = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")

# ---------------------------------------------------------------- text as the patterns read it

_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−－", "-"))


@dataclass(frozen=True)
class Shadow:
    """`text` as the patterns read it — NFKC, kanji digits as digits, every dash a hyphen, zero-width
    characters dropped — with, for each of its characters, the position in the text as written it came
    from (so a match is masked in the text as written, whatever its width or the invisible characters
    inside)."""

    text: str
    where: list[int]

    @classmethod
    def of(cls, text: str) -> Shadow:
        chars: list[str] = []
        where: list[int] = []
        for i, ch in enumerate(text):
            if unicodedata.category(ch) == "Cf":
                continue
            for out in unicodedata.normalize("NFKC", ch).translate(_KANJI_DIGITS).translate(_DASHES):
                chars.append(out)
                where.append(i)
        return cls("".join(chars), where)

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The span in the text as written of the span start:end of the shadow."""
        return self.where[start], self.where[end - 1] + 1


def compact(text: str) -> str:
    """Normalised, without spaces, line breaks or zero-width characters (山田 花子 → 山田花子)."""
    return _ZERO_WIDTH.sub("", normalise_text(text))


# ---------------------------------------------------------------- homes


def suggests_home(text: str) -> bool:
    """Does this text (a kind, a venue, any cell) speak of a private home? Read as written and with
    spaces and line breaks removed (山田さんの⏎お宅), and a whole cell naming a family's house (山田家)."""
    if not text:
        return False
    written = normalise_text(text)
    squeezed = compact(text)
    return bool(_HOME.search(written) or _HOME.search(squeezed) or _family_house(squeezed))


def _family_house(cell: str) -> bool:
    m = _FAMILY_HOUSE.match(cell)
    return m is not None and m[1][-1] not in _NOT_FAMILY[m[2]]


def home_name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the names of private homes in `text` as given: 山田さん宅, 山田様方, 鈴木さんち, 佐藤邸 …"""
    return [m.span() for m in _HOME_NAME.finditer(text) if m[0] not in _NOT_A_HOME_NAME]


def home_names(text: str) -> list[str]:
    """Names of private homes written in a text: 山田さん宅, 山田様方, 鈴木さんち, 佐藤邸 …"""
    written = normalise_text(text)
    return [written[a:b] for a, b in home_name_spans(written)]


# ---------------------------------------------------------------- phones, e-mail, street numbers


def phone_digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text or "").translate(_KANJI_DIGITS))


def find_phones(text: str) -> list[tuple[int, int]]:
    """Spans (in `text` as written) of phone numbers however written (0866-12-3456, (0866)12-3456,
    ０８６６１２３４５６, 〇九〇…): 10 or 11 digits starting with 0, or the +81 form; and a local number
    (22-1234) right after a phone word."""
    read = Shadow.of(text)
    shadow = read.text.replace("ー", "-")  # 〇九〇ー… (not in names: マリーさん宅)
    spans: list[tuple[int, int]] = []
    for m in _PHONE.finditer(shadow):
        digits = re.sub(r"[^0-9]", "", m[0])
        if (digits.startswith("0") and 10 <= len(digits) <= 11) or (
            m[0].startswith("+81") and 11 <= len(digits) <= 12
        ):
            spans.append((m.start(), m.end()))
    for m in _LOCAL_PHONE.finditer(shadow):
        if not any(a <= m.start(1) < b for a, b in spans) and 5 <= len(re.sub(r"[^0-9]", "", m[1])) <= 11:
            spans.append((m.start(1), m.end(1)))
    return sorted(read.original(a, b) for a, b in spans)


def contact_phones(contact: str) -> set[str]:
    """The digits of each phone number in a contact cell (0739-55-3000、090-1111-2222 holds two)."""
    found = {phone_digits(contact[a:b]) for a, b in find_phones(contact)}
    whole = phone_digits(contact)
    return {d for d in found | ({whole} if not found else set()) if len(d) >= 8}


def email_spans(text: str) -> list[tuple[int, int]]:
    """Spans of e-mail addresses in `text` as given (a Shadow's text): name@host, name (at) host (dot) jp …"""
    return [m.span() for m in _EMAIL.finditer(text)]


def street_number_spans(text: str) -> list[tuple[int, int]]:
    """Spans of street numbers in `text` as given (a Shadow's text): 1234番地, 3番5号, and of the number
    alone in 本町 2-14-3 (the town name before it is not private)."""
    return [m.span("number") if m["number"] else m.span() for m in _STREET.finditer(text)]
