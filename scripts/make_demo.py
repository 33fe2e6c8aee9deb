"""Make the bundled demo map project: たから市, a FICTIONAL town placed in Okayama's hills.

Writes takara.toml, layers/ and data/ at the repository root (the repository root is the demo
map project). Every boundary, address, place, person and phone number is invented here from one
seed: nothing comes from real data. Re-running gives byte-identical files.

    python scripts/make_demo.py               # (re)write the demo into the repository
    python scripts/make_demo.py --out DIR     # write it somewhere else
    python scripts/make_demo.py --check       # write it twice to temporary folders and compare
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import math
import random
import re
import sqlite3
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from PIL import Image, ImageDraw, ImageFont
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261101
EDITION = date(2026, 11, 1)
FIXED_STAMP = (2026, 11, 1, 0, 0, 0)  # timestamp put inside zip/xlsx/gpkg files so reruns are identical

PREF, CITY, CITY_CODE = "岡山県", "たから市", "33999"  # 33999: no such municipality code
CENTRE_LONLAT = (133.655, 34.905)  # hills of central Okayama; the town itself does not exist
METRIC_CRS = "EPSG:6673"  # JGD2011 / Japan Plane Rectangular CS V (Okayama's zone)

TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)

# ---------------------------------------------------------------------------------------------
# The town's make-up: districts (第2層), neighbourhood associations (第3層) and their towns.
# Neighbourhoods are listed from the middle of the city outwards; offsets are metres from the centre.
# ---------------------------------------------------------------------------------------------
DISTRICTS = [
    (
        "chuo",
        "中央中学校区",
        "中央",
        (0, 0),
        [
            ("本町一丁目自治会", ["本町一丁目"]),
            ("本町二丁目自治会", ["本町二丁目"]),
            ("本町三丁目自治会", ["本町三丁目"]),
            ("駅前町内会", ["駅前一丁目", "駅前二丁目"]),
            ("栄町町内会", ["栄町", "元町"]),
            ("旭町自治会", ["旭町", "新町"]),
        ],
    ),
    (
        "higashi",
        "東中学校区",
        "東",
        (4300, 300),
        [
            ("さくら町内会", ["桜ケ丘"]),
            ("緑が丘自治会", ["緑が丘一丁目", "緑が丘二丁目"]),
            ("日の出町内会", ["日の出町", "朝日台"]),
            ("東山自治会", ["東山", "大字宮内"]),
            ("高畑自治会", ["高畑"]),
        ],
    ),
    (
        "nishi",
        "西中学校区",
        "西",
        (-4300, -400),
        [
            ("川辺町内会", ["川辺"]),
            ("柳町自治会", ["柳町"]),
            ("宮下町内会", ["宮下", "大字清水"]),
            ("上野自治会", ["上野", "大字石原"]),
            ("西原自治会", ["西原", "大字竹内"]),
        ],
    ),
    (
        "minami",
        "南中学校区",
        "南",
        (200, -3600),
        [
            ("南町町内会", ["南町", "稲荷町"]),
            ("若葉台自治会", ["若葉台一丁目", "若葉台二丁目"]),
            ("新田町内会", ["新田"]),
            ("松原自治会", ["松原"]),
            ("小田自治会", ["大字小田", "大字長尾"]),
        ],
    ),
    (
        "kita",
        "北中学校区",
        "北",
        (-300, 3700),
        [
            ("北町自治会", ["北町", "大字北山"]),
            ("中野町内会", ["中野"]),
            ("山田自治会", ["大字山田"]),
            ("杉谷自治会", ["大字杉谷"]),
            ("奥山自治会", ["大字奥山", "大字岩屋"]),
        ],
    ),
]

# Population per neighbourhood: (min, max) people and share aged 65+, by district.
POPULATION = {
    "chuo": (2600, 4200, 0.29, 0.36),
    "higashi": (1700, 3100, 0.26, 0.35),
    "nishi": (1100, 2300, 0.33, 0.42),
    "minami": (1400, 2800, 0.30, 0.38),
    "kita": (450, 1300, 0.41, 0.52),
}

CATEGORIES = [
    # id, label, colour (≥ 4.5:1 on white), icon, aliases, needs it answers, number of records
    (
        "salon",
        "サロン",
        "#C2185B",
        "☕",
        ["ふれあいサロン", "いきいきサロン", "交流サロン", "サロン活動"],
        ["居場所"],
        80,
    ),
    (
        "kayoi",
        "通いの場（体操）",
        "#1565C0",
        "💪",
        ["通いの場", "百歳体操", "いきいき百歳体操", "介護予防体操"],
        ["居場所"],
        70,
    ),
    ("radio", "ラジオ体操", "#2E7D32", "📻", ["ラジオ体操会"], ["居場所", "見守り"], 25),
    (
        "seniorclub",
        "老人クラブ",
        "#6A1B9A",
        "🌸",
        ["老人会", "シニアクラブ", "高齢者クラブ"],
        ["居場所", "見守り"],
        35,
    ),
    (
        "cafe",
        "地域カフェ・食事会",
        "#BF360C",
        "🍙",
        ["地域カフェ", "コミュニティカフェ", "食事会", "会食"],
        ["居場所", "食事"],
        30,
    ),
    ("mobile", "移動販売", "#00695C", "🚚", ["移動スーパー", "移動販売車"], ["移動支援", "買い物"], 20),
    (
        "mimamori",
        "見守り・生活支援",
        "#4E342E",
        "🤝",
        ["見守り", "生活支援", "見守り活動", "支え合い"],
        ["見守り", "ゴミ出し"],
        30,
    ),
    ("hobby", "趣味・学び", "#37474F", "📚", ["趣味", "学び", "サークル", "趣味の会"], ["居場所"], 35),
]
LABEL = {c[0]: c[1] for c in CATEGORIES}
ALIASES = {c[0]: c[4] for c in CATEGORIES}

# Venue kinds per category: exact counts, so the demo always has ~25 home venues and every kind.
VENUE_QUOTAS = {
    "salon": {"集会所": 40, "自宅": 18, "公共施設": 14, "店舗": 5, "オンライン": 3},
    "kayoi": {"集会所": 42, "公共施設": 20, "その他": 4, "屋外": 4},
    "radio": {"屋外": 22, "集会所": 3},
    "seniorclub": {"集会所": 25, "公共施設": 10},
    "cafe": {"店舗": 12, "公共施設": 6, "集会所": 6, "自宅": 4, "その他": 2},
    "mobile": {"屋外": 20},
    "mimamori": {"集会所": 14, "公共施設": 12, "オンライン": 2, "自宅": 2},
    "hobby": {"公共施設": 18, "集会所": 9, "店舗": 3, "自宅": 1, "オンライン": 4},
}
ORGANISERS = {  # weights per organiser type
    "salon": {"住民主体": 80, "社協": 10, "NPO": 5, "医療・介護機関": 5},
    "kayoi": {"住民主体": 75, "社協": 10, "医療・介護機関": 15},
    "radio": {"住民主体": 100},
    "seniorclub": {"住民主体": 100},
    "cafe": {"住民主体": 40, "NPO": 30, "企業": 10, "医療・介護機関": 20},
    "mobile": {"企業": 85, "NPO": 15},
    "mimamori": {"住民主体": 50, "社協": 25, "NPO": 15, "医療・介護機関": 10},
    "hobby": {"住民主体": 80, "NPO": 10, "企業": 5, "医療・介護機関": 5},
}

# Public facilities (公共施設), shops (店舗) and care facilities (その他): name, town.
FACILITIES = [
    ("たから市保健福祉センター", "本町三丁目"),
    ("中央公民館", "栄町"),
    ("たから市立図書館", "旭町"),
    ("老人福祉センター", "駅前二丁目"),
    ("東公民館", "緑が丘一丁目"),
    ("総合体育館", "高畑"),
    ("東山地区市民センター", "東山"),
    ("西公民館", "川辺"),
    ("上野地区市民センター", "上野"),
    ("南公民館", "新田"),
    ("若葉台コミュニティセンター", "若葉台二丁目"),
    ("北公民館", "中野"),
    ("山田地区市民センター", "大字山田"),
    ("奥山ふれあいセンター", "大字奥山"),
]
SHOPS = [
    ("スーパーたから 本町店", "本町一丁目", "スーパー"),
    ("喫茶 ひだまり", "駅前一丁目", "喫茶店"),
    ("カフェ こもれび", "桜ケ丘", "喫茶店"),
    ("ショッピングセンター たからモール", "新田", "スーパー"),
    ("マルヤ食品 若葉台店", "若葉台一丁目", "スーパー"),
    ("農産物直売所 やまびこ", "大字山田", "直売所"),
    ("ふれあい食堂 まんぷく", "柳町", "食堂"),
    ("スーパーたから 東店", "日の出町", "スーパー"),
    ("パン工房 むぎのほ", "西原", "パン屋"),
    ("中野ストア", "中野", "スーパー"),
]
CARE = [
    ("特別養護老人ホーム たから苑 地域交流室", "松原"),
    ("デイサービス ひなた 2階ホール", "元町"),
    ("たから中央病院 リハビリ棟 多目的室", "本町二丁目"),
    ("グループホーム 山の里 交流スペース", "大字杉谷"),
]

SURNAMES = [
    "佐藤",
    "田中",
    "山本",
    "中村",
    "小林",
    "藤原",
    "岡田",
    "三宅",
    "難波",
    "小野",
    "井上",
    "森",
    "原田",
    "石井",
    "大森",
    "松本",
    "坂本",
    "青木",
    "山下",
    "橋本",
    "守屋",
    "片山",
    "平松",
    "河本",
]
NICKNAMES = [
    "ひだまり",
    "なごみ",
    "えがお",
    "ほっこり",
    "こもれび",
    "たんぽぽ",
    "すみれ",
    "あじさい",
    "ひまわり",
    "よりみち",
    "おしゃべり",
    "縁側",
    "ぬくもり",
    "もみじ",
    "つばき",
    "わかば",
    "きずな",
    "ゆうゆう",
    "はなみずき",
    "なかよし",
    "ひなたぼっこ",
    "どんぐり",
    "コスモス",
    "やすらぎ",
    "いろり",
]

# Stories (紹介文): warm, plain Japanese, one per place at most. {stem} is the place's town.
STORIES = {
    "salon": [
        "毎回お茶当番を決めて、手作りのお菓子を持ち寄っています。初めての方もすぐに打ち解けられる雰囲気です。",
        "「今日は来られるかな」と声をかけ合うのが自慢です。しばらく顔を見ないと、だれかが様子を見に行きます。",
        "{stem}のみなさんが集まる、縁側のようなサロンです。季節の花を飾ってお迎えします。",
        "歌声サロンでは昔なつかしい歌を大きな声で。帰るころにはみんな笑顔になっています。",
        "男性の参加が多いサロンです。将棋と囲碁、ときどきそば打ちもします。",
        "90歳を超えた方も元気に通っています。笑い声が外まで聞こえてきます。",
        "月に一度の誕生会が楽しみ。手づくりのカードをみんなで書いてお祝いします。",
        "保健師さんを招いてミニ講座を開くことも。健康のことを気軽に相談できる場です。",
        "引っ越してきたばかりの方が「ここで友だちができた」と話してくれました。",
        "集会所のこたつを囲んで、昔の{stem}の話に花が咲きます。",
        "脳トレとおしゃべりで2時間があっという間。お茶とお漬物がおいしいと評判です。",
        "帰り道、同じ方向の人と一緒に歩いて帰るのがいつもの光景です。",
        "小学生が夏休みに遊びに来て、お手玉やおはじきを教わっていきました。",
    ],
    "home": [
        "リビングをひらいて10年。ご近所の仲良しが自然と集まるようになりました。",
        "縁側でお茶を飲みながらおしゃべり。歩いて来られる距離なのがうれしいと好評です。",
        "庭の柿が実るころには、みんなで干し柿づくりをします。",
    ],
    "kayoi": [
        "いきいき百歳体操を続けて5年。「階段が楽になった」という声が増えました。",
        "体操のあとのおしゃべりを楽しみに通う人も。年2回の体力測定で成果を確かめ合っています。",
        "おもりを付けてゆっくり体操。90歳の最年長さんがみんなのお手本です。",
        "男性も女性も、杖をついて来る人も。できる動きで無理なく続けています。",
        "体操の日は送り迎えを近所で助け合っています。休んだ人には電話で声かけをします。",
        "DVDを見ながら30分体操して、そのあとは季節の話題でひと休み。",
        "始めたころ5人だった仲間が、いまでは20人になりました。",
        "{stem}の集会所に、毎週元気な掛け声が響きます。",
        "「膝が痛くて」と話していた方が、半年後には畑仕事に戻れたそうです。",
    ],
    "radio": [
        "毎朝6時半、公園にラジオの音が響きます。夏休みは子どもも加わって80人ほどになります。",
        "体操のあとは公園のごみ拾い。顔を見ればお互いの元気がわかります。",
        "雨の日以外はほぼ毎日。出席カードのスタンプが100個たまった人もいます。",
        "朝日を浴びて体を動かすと、一日が気持ちよく始まります。",
        "体操が終わると「また明日」。その一言が一人暮らしの人の安心になっています。",
    ],
    "seniorclub": [
        "グラウンドゴルフ大会で優勝したのが自慢です。通学路の見守りも続けています。",
        "駅前の花壇は私たちが育てています。春にはチューリップが満開になります。",
        "一人暮らしの会員さんには、月に一度みんなで訪ねてお茶をしています。",
        "日帰り旅行は毎年の楽しみ。行き先は会員の投票で決めます。",
        "昔遊びを小学校で教えています。子どもたちとのお手玉対決は真剣勝負です。",
        "神社の清掃を30年続けています。掃除のあとのお茶の時間がいちばんのにぎわいです。",
    ],
    "cafe": [
        "ショッピングセンターの空きスペースで開くカフェです。買い物ついでに立ち寄れます。",
        "みんなで育てた野菜を使った昼食会。ひとり暮らしの方も一緒にテーブルを囲みます。",
        "コーヒー1杯で、だれとでも話せる場所。介護のことを相談できる専門職も時々来ます。",
        "子どもからお年寄りまで一緒に食べる食事会です。配膳は中学生のボランティアが手伝ってくれます。",
        "手づくりのパンとスープが人気。ここで知り合った人同士で、新しいサークルが生まれました。",
        "月に一度の「{stem}ランチ」。献立は参加者のリクエストで決まります。",
        "病院の待合室の一角で開くカフェです。通院のついでにほっとひと息つけます。",
        "おにぎりと豚汁の日は満席に。作る側もいつの間にか常連さんです。",
    ],
    "mobile": [
        "軽トラックに野菜や日用品を積んで来てくれます。買い物のあとのおしゃべりも楽しみの一つです。",
        "「来週はお豆腐を持ってきて」と頼めば届けてくれます。顔なじみの店員さんが見守り役にも。",
        "山あいの集落にとっては大切なお店です。停留所はいつも小さな社交場になります。",
        "音楽が聞こえたら外に出る合図。重い荷物は玄関まで運んでくれます。",
    ],
    "mimamori": [
        "ゴミ出しが難しい方のお宅へ、朝の散歩のついでに寄っています。ちょっとした声かけが見守りになります。",
        "電球の交換や草取りなど、30分でできる「ちょっとした困りごと」をお手伝いします。",
        "新聞がたまっていないか、夜に明かりがついているか。さりげない見守りを続けています。",
        "通院の付き添いや買い物のお手伝いをしています。「助かった」の一言が元気の源です。",
        "民生委員さんと一緒に、ひとり暮らしの方へ季節のお便りを届けています。",
        "雪の日は坂道の雪かきを、夏は網戸の張り替えを。支え合いの輪が広がっています。",
    ],
    "hobby": [
        "みんなで育てた野菜を施設にお届けしています。収穫の日はちょっとしたお祭りです。",
        "男の料理教室。つくった料理を家族に持ち帰るのが楽しみです。",
        "スマホ教室では高校生が先生役。孫とビデオ通話ができたと喜ばれています。",
        "絵手紙を描いて、遠くに住む家族や友人に送っています。作品展も開きました。",
        "俳句の会では、散歩で見つけた季節を五七五に。{stem}の風景がたくさん詠まれています。",
        "大正琴の音色に合わせて歌うのが定番。施設への慰問演奏もしています。",
        "歴史散歩の会は、地元の古い道や石碑を歩いて調べています。手作りの地図は公民館に展示中です。",
        "手芸サークルでつくった布ぞうりは、地域のバザーで人気です。",
    ],
}

# Stories that fit a group: told only of a group whose name or activities hold one of the words. A storied
# place gets the first fitting story not yet told (its category's own list above when none fits), so a
# folk-dance circle never tells of a cooking class.
STORY_FITS: list[tuple[str, tuple[str, ...], str]] = [
    (
        "hobby",
        ("フォークダンス",),
        "フォークダンスの輪に、80代の方も軽やかなステップで加わります。曲が変わるたびに笑い声が起きます。",
    ),
    (
        "hobby",
        ("パソコン", "インターネット"),
        "パソコンで写真の整理や年賀状づくり。分からないところは隣の人が教えてくれます。",
    ),
    (
        "hobby",
        ("スマホ", "スマートフォン"),
        "スマホ教室では高校生が先生役。孫とビデオ通話ができたと喜ばれています。",
    ),
    ("hobby", ("大正琴",), "大正琴の音色に合わせて歌うのが定番。施設への慰問演奏もしています。"),
    ("hobby", ("絵手紙",), "絵手紙を描いて、遠くに住む家族や友人に送っています。作品展も開きました。"),
    ("hobby", ("絵手紙",), "季節の野菜や花を見ながら描く絵手紙。「へたでいい、へたがいい」が合言葉です。"),
    (
        "hobby",
        ("吹き矢",),
        "スポーツ吹き矢は、腹式呼吸で胸いっぱいに息を吸うのがこつ。的に当たると歓声が上がります。",
    ),
    (
        "hobby",
        ("俳句",),
        "俳句の会では、散歩で見つけた季節を五七五に。{stem}の風景がたくさん詠まれています。",
    ),
    ("hobby", ("料理",), "男の料理教室。つくった料理を家族に持ち帰るのが楽しみです。"),
    (
        "hobby",
        ("歴史", "散歩"),
        "歴史散歩の会は、地元の古い道や石碑を歩いて調べています。手作りの地図は公民館に展示中です。",
    ),
    ("hobby", ("手芸", "編み物"), "手芸サークルでつくった布ぞうりは、地域のバザーで人気です。"),
    (
        "hobby",
        ("園芸", "野菜", "畑"),
        "みんなで育てた野菜を施設にお届けしています。収穫の日はちょっとしたお祭りです。",
    ),
    ("hobby", ("囲碁", "将棋"), "盤を囲んで真剣勝負。勝っても負けても、終わればお茶を飲みながら感想戦です。"),
    (
        "hobby",
        ("コーラス", "合唱", "歌"),
        "声を合わせて歌うと、自然と背すじが伸びます。秋の文化祭での発表が目標です。",
    ),
    ("hobby", ("書道",), "筆を持つと気持ちが落ち着きます。書き初めは公民館のロビーに並べて飾ります。"),
    ("salon", ("歌",), "昔なつかしい歌を大きな声で。帰るころにはみんな笑顔になっています。"),
    ("salon", ("男",), "男性の参加が多いサロンです。将棋と囲碁、ときどきそば打ちもします。"),
    ("salon", ("男",), "定年後の男性が集まるサロン。コーヒーをいれる係も、話題を持ってくる係も交代です。"),
    (
        "salon",
        ("囲碁", "将棋"),
        "将棋と囲碁の盤がいつも出ています。見ているだけの人も、つい口を出してしまいます。",
    ),
    ("salon", ("手芸",), "手を動かしながらおしゃべり。できた小物はお孫さんへのプレゼントになります。"),
    ("salon", ("脳トレ",), "脳トレとおしゃべりで2時間があっという間。お茶とお漬物がおいしいと評判です。"),
    ("salon", ("誕生会",), "月に一度の誕生会が楽しみ。手づくりのカードをみんなで書いてお祝いします。"),
    ("salon", ("講話",), "保健師さんを招いてミニ講座を開くことも。健康のことを気軽に相談できる場です。"),
    ("salon", ("健康体操",), "最初の15分は健康体操。体がほぐれると、おしゃべりもはずみます。"),
    (
        "salon",
        ("季節の行事",),
        "七夕やお月見など、季節の行事を大切にしています。{stem}の昔話にも花が咲きます。",
    ),
    (
        "kayoi",
        ("体力測定",),
        "体操のあとのおしゃべりを楽しみに通う人も。年2回の体力測定で成果を確かめ合っています。",
    ),
    (
        "kayoi",
        ("かみかみ",),
        "かみかみ体操で口の周りもしっかり動かします。「ごはんがおいしくなった」と好評です。",
    ),
    ("kayoi", ("DVD",), "DVDを見ながら30分体操して、そのあとは季節の話題でひと休み。"),
    (
        "kayoi",
        ("筋力", "ストレッチ"),
        "いすに座ってできる筋力づくり。「階段が楽になった」という声が増えました。",
    ),
    ("radio", ("公園清掃",), "体操のあとは公園のごみ拾い。顔を見ればお互いの元気がわかります。"),
    (
        "radio",
        ("ストレッチ",),
        "ラジオ体操のあとに、ゆっくりストレッチ。朝日を浴びると一日が気持ちよく始まります。",
    ),
    ("cafe", ("認知症",), "コーヒー1杯で、だれとでも話せる場所。介護のことを相談できる専門職も時々来ます。"),
    (
        "cafe",
        ("認知症",),
        "介護をしている家族どうしが、気持ちを話せる場所です。認知症のご本人も一緒にお茶を飲みます。",
    ),
    (
        "cafe",
        ("ランチ", "昼食"),
        "みんなで育てた野菜を使った昼食会。ひとり暮らしの方も一緒にテーブルを囲みます。",
    ),
    (
        "cafe",
        ("モーニング",),
        "朝のモーニングは、トーストとゆで卵。血圧を測ってから、ゆっくりおしゃべりです。",
    ),
    (
        "cafe",
        ("食事会",),
        "子どもからお年寄りまで一緒に食べる食事会です。配膳は中学生のボランティアが手伝ってくれます。",
    ),
    (
        "mimamori",
        ("配食",),
        "お弁当を届けながら「お変わりありませんか」と一声。受け取る笑顔が何よりの報告です。",
    ),
    (
        "mimamori",
        ("ゴミ出し",),
        "ゴミ出しが難しい方のお宅へ、朝の散歩のついでに寄っています。ちょっとした声かけが見守りになります。",
    ),
    (
        "mimamori",
        ("付き添い",),
        "通院の付き添いや買い物のお手伝いをしています。「助かった」の一言が元気の源です。",
    ),
    (
        "mimamori",
        ("安否確認", "声かけ"),
        "新聞がたまっていないか、夜に明かりがついているか。さりげない見守りを続けています。",
    ),
    ("mimamori", ("見守り",), "民生委員さんと一緒に、ひとり暮らしの方へ季節のお便りを届けています。"),
    ("seniorclub", ("花壇",), "駅前の花壇は私たちが育てています。春にはチューリップが満開になります。"),
    (
        "seniorclub",
        ("通学路",),
        "朝は通学路に立って子どもたちを見送ります。「おはよう」の声に元気をもらいます。",
    ),
    (
        "seniorclub",
        ("輪投げ", "ペタンク"),
        "輪投げとペタンクの練習は真剣そのもの。市の大会で入賞したのが自慢です。",
    ),
    ("seniorclub", ("友愛訪問",), "一人暮らしの会員さんには、月に一度みんなで訪ねてお茶をしています。"),
    (
        "seniorclub",
        ("健康教室",),
        "健康教室では血圧の測り方から体操まで。終わったあとのお茶の時間がいちばんのにぎわいです。",
    ),
    (
        "mobile",
        ("注文配達",),
        "「来週はお豆腐を持ってきて」と頼めば届けてくれます。顔なじみの店員さんが見守り役にも。",
    ),
    (
        "mobile",
        ("野菜",),
        "軽トラックに野菜や日用品を積んで来てくれます。買い物のあとのおしゃべりも楽しみの一つです。",
    ),
]


def tell_fitting_stories(records: list[Record], storied: list[int]) -> None:
    """The storied places are chosen as before (the same random draws); each now tells a story that fits it."""
    told: set[str] = set()
    for i in storied:
        if records[i].category == "salon" and records[i].venue.kind == "自宅":
            story = records[i].cells["紹介文"]  # the home salons' own stories
        else:
            story = fitting_story(records[i], told)
        told.add(story)
        records[i].cells["紹介文"] = story.format(stem=stem(records[i].venue.town.name))


def fitting_story(record: Record, told: set[str]) -> str:
    """The first story that fits this group (its name and activities) and has not been told yet; else
    one of its category's stories that does not speak of another kind of activity."""
    text = record.name + " " + str(record.cells.get("活動内容", ""))
    fits = [
        story for cat, words, story in STORY_FITS if cat == record.category and any(w in text for w in words)
    ]
    general = [s for s in STORIES.get(record.category, []) if not any(s == f[2] for f in STORY_FITS)]
    for story in fits + general:
        if story not in told:
            return story
    return (fits + general + [""])[0]


UNPARSEABLE = [
    "田植えが終わったら",
    "みんなの都合が合う日",
    "気が向いたとき",
    "春と秋（年2回程度）",
    "寒い時期は休み、暖かくなったら再開",
    "お天気次第",
    "会長さんに聞いてください",
    "月イチくらい",
    "雨の日以外ほぼ毎日？",
    "公民館が空いている日",
    "前回決めた日",
    "稲刈りのあと一段落したら",
    "会員の誕生月に",
    "お盆と正月以外",
    "いつもの時間",
    "年によって違う",
]

# The 23 headers, in the order a coordinator's sheet would have them (all in gis.place.FIELD_ALIASES).
HEADERS = [
    "No.",
    "名称",
    "種別",
    "運営主体",
    "会場",
    "会場種別",
    "所在地",
    "緯度",
    "経度",
    "開催日時",
    "対象",
    "参加費",
    "活動内容",
    "参加人数",
    "連絡先",
    "連絡先掲載",
    "掲載可否",
    "写真",
    "写真掲載",
    "紹介文",
    "状況",
    "最終確認日",
    "地区",
]


@dataclass
class Town:
    name: str
    district: str
    nb_id: str
    point: Point  # metric


@dataclass
class Neighbourhood:
    nb_id: str
    name: str
    district: str
    geom: Polygon  # metric
    towns: list[Town] = field(default_factory=list)
    population: int = 0
    aged: int = 0


@dataclass
class Venue:
    name: str
    kind: str
    town: Town
    banchi: str
    point: Point | None  # metric; None for online


@dataclass
class Record:
    category: str
    venue: Venue
    organiser: str
    name: str = ""
    cells: dict = field(default_factory=dict)
    broken: str = ""  # why this row is deliberately broken (README)


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------
def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def lonlat(p: Point) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(p.x, p.y)
    return round(lon, 6), round(lat, 6)


def kanji_number(n: int) -> str:
    digits = "〇一二三四五六七八九"
    if n == 0:
        return digits[0]
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, value)
        if q:
            out += ("" if q == 1 else digits[q]) + unit
    return out + (digits[n] if n else "")


_FULLWIDTH = str.maketrans("0123456789-:/", "０１２３４５６７８９－：／")


def fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


def chome_digits(town: str) -> str:
    """本町二丁目 → 本町2丁目 (how many people type it)."""
    return re.sub(
        r"([一二三四五六七八九])丁目", lambda m: f"{'一二三四五六七八九'.index(m.group(1)) + 1}丁目", town
    )


def stem(town: str) -> str:
    return town.removeprefix("大字")


def sample_in(
    rng: random.Random, poly, near: Point | None = None, radius: float = 0.0, margin: float = 40.0
) -> Point:
    """A random point inside `poly` (kept `margin` metres from its edge), within `radius` of `near` if given."""
    area = poly.buffer(-margin)
    if near is not None:
        area = area.intersection(near.buffer(radius, quad_segs=16))
    if area.is_empty:
        area = poly
    minx, miny, maxx, maxy = area.bounds
    for _ in range(10000):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(p):
            return p
    return area.representative_point()


def split_exact(poly, seeds: list[Point]) -> list:
    """Split `poly` into one piece per seed (Voronoi cells clipped to it)."""
    return split_nested(poly, [(poly, seeds)])[0]


def split_nested(outer, parts: list[tuple[object, list[Point]]]) -> list[list]:
    """Split each of `parts` (polygons tiling `outer`) by the Voronoi cells of its seeds, all at once.

    Every piece is a union of faces of ONE noded linework, so neighbouring pieces share identical
    vertices, across parts too: rounding the coordinates later cannot open gaps or overlaps."""
    lines = [outer.boundary] + [p.boundary for p, _ in parts]
    cells_of = []
    for poly, seeds in parts:
        cells = shapely.voronoi_polygons(
            MultiPoint(seeds), extend_to=poly.envelope.buffer(5000), ordered=True
        ).geoms
        # clipped 1 m beyond the part, so each cell edge properly crosses the part's edge and gets noded
        # (stubs left outside are dangles, which polygonize ignores)
        lines += [c.boundary.intersection(poly.buffer(1.0)) for c in cells]
        cells_of.append(cells)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    pieces: list[list[list]] = [[[] for _ in seeds] for _, seeds in parts]
    for face in faces:
        rp = face.representative_point()
        for j, (poly, seeds) in enumerate(parts):
            if poly.contains(rp):
                pieces[j][min(range(len(seeds)), key=lambda k: rp.distance(seeds[k]))].append(face)
                break
    return [[shapely.union_all(p) for p in part] for part in pieces]


def spaced_seeds(rng: random.Random, poly, k: int, margin: float = 250.0) -> list[Point]:
    inner = poly.buffer(-margin)
    min_d = 0.75 * math.sqrt(poly.area / k)
    minx, miny, maxx, maxy = inner.bounds
    seeds: list[Point] = []
    tries = 0
    while len(seeds) < k:
        tries += 1
        if tries % 3000 == 0:
            min_d *= 0.9
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if inner.contains(p) and all(p.distance(q) >= min_d for q in seeds):
            seeds.append(p)
    return seeds


def to_lonlat_geom(geom):
    """Metric geometry → lon/lat, rounded to 7 decimals (1 cm). Shared vertices stay shared."""

    def tf(coords):
        lon, lat = TO_LONLAT.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 7)

    return shapely.transform(geom, tf)


def geojson_coords(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), 7) for v in obj]
        return [geojson_coords(o) for o in obj]
    return obj


def write_geojson(path: Path, name: str, features: list[tuple[dict, object]]) -> None:
    """One feature per line, fixed precision, EPSG:4326 (RFC 7946): small, diffable, stable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for props, geom in features:
        g = mapping(geom)
        feature = {
            "type": "Feature",
            "properties": props,
            "geometry": {"type": g["type"], "coordinates": geojson_coords(g["coordinates"])},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","name":' + json.dumps(name, ensure_ascii=False) + ',"features":[\n'
    path.write_text(text + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def toml_str(value) -> str:
    """A TOML value (strings, numbers, booleans, lists); JSON strings are valid TOML basic strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_str(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# geography
# ---------------------------------------------------------------------------------------------
@dataclass
class Geography:
    city: Polygon
    districts: list[tuple[str, str, str, object]]  # id, name, short, geom (metric)
    neighbourhoods: list[Neighbourhood]
    towns: dict[str, Town]


def make_geography(rng: random.Random) -> Geography:
    cx, cy = TO_METRIC.transform(*CENTRE_LONLAT)
    harmonics = [(2, 0.09), (3, 0.07), (5, 0.045), (8, 0.025), (13, 0.012)]
    phases = [rng.uniform(0, 2 * math.pi) for _ in harmonics]
    pts = []
    n = 160
    for i in range(n):
        th = 2 * math.pi * i / n
        r = 5400 * (1 + sum(a * math.sin(f * th + p) for (f, a), p in zip(harmonics, phases)))
        r *= 1 + rng.uniform(-0.012, 0.012)
        pts.append((round(cx + 1.18 * r * math.cos(th), 2), round(cy + 0.9 * r * math.sin(th), 2)))
    city = Polygon(pts)
    assert city.is_valid

    seeds = [
        Point(cx + dx + rng.uniform(-250, 250), cy + dy + rng.uniform(-250, 250))
        for _, _, _, (dx, dy), _ in DISTRICTS
    ]
    rough = split_exact(city, seeds)
    centre = Point(cx, cy)
    nb_seeds = []
    for (_, _, _, _, nbs), dgeom in zip(DISTRICTS, rough):
        pts = spaced_seeds(rng, dgeom, len(nbs))
        pts.sort(key=lambda p: p.distance(centre))  # listed from the middle of the city outwards
        nb_seeds.append(pts)
    nb_geoms = split_nested(city, list(zip(rough, nb_seeds)))
    districts = []
    neighbourhoods = []
    towns: dict[str, Town] = {}
    for (did, dname, short, _, nbs), geoms in zip(DISTRICTS, nb_geoms):
        districts.append((did, dname, short, shapely.union_all(geoms)))
        for k, ((nb_name, town_names), ngeom) in enumerate(zip(nbs, geoms), 1):
            nb = Neighbourhood(f"{did}-{k:02d}", nb_name, did, ngeom)
            if len(town_names) == 1:
                points = [sample_in(rng, ngeom, ngeom.representative_point(), 400, margin=200)]
            else:
                points = spaced_seeds(rng, ngeom, len(town_names), margin=180)
            for tname, tp in zip(town_names, points):
                town = Town(tname, did, nb.nb_id, tp)
                nb.towns.append(town)
                towns[tname] = town
            lo, hi, aged_lo, aged_hi = POPULATION[did]
            nb.population = int(round(rng.uniform(lo, hi), -1))
            nb.aged = int(nb.population * rng.uniform(aged_lo, aged_hi))
            neighbourhoods.append(nb)
    city = shapely.union_all([d[3] for d in districts])
    return Geography(city, districts, neighbourhoods, towns)


def write_boundaries(out: Path, geo: Geography) -> None:
    import geopandas as gpd  # heavy import, only needed here
    import pyogrio

    bdir = out / "data" / "boundaries"
    bdir.mkdir(parents=True, exist_ok=True)
    write_geojson(
        bdir / "city.geojson", "city", [({"code": CITY_CODE, "name": CITY}, to_lonlat_geom(geo.city))]
    )
    write_geojson(
        bdir / "junior_high.geojson",
        "junior_high",
        [
            ({"district_id": did, "district_name": name}, to_lonlat_geom(g))
            for did, name, _, g in geo.districts
        ],
    )
    # Neighbourhoods in a GeoPackage in metres (EPSG:6673), so reading reprojects.
    gdf = gpd.GeoDataFrame(
        {"nb_id": [nb.nb_id for nb in geo.neighbourhoods], "nb_name": [nb.name for nb in geo.neighbourhoods]},
        geometry=[shapely.transform(nb.geom, lambda c: np.round(c, 2)) for nb in geo.neighbourhoods],
        crs=METRIC_CRS,
    )
    path = bdir / "neighbourhoods.gpkg"
    path.unlink(missing_ok=True)
    # GDAL stamps the current time into a GeoPackage; pin it so the file is the same on every run.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-11-01T00:00:00.000Z"})
    try:
        pyogrio.write_dataframe(gdf, path, layer="neighbourhoods", driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    with sqlite3.connect(path) as con:  # belt and braces: any stamp GDAL wrote anyway
        con.execute("UPDATE gpkg_contents SET last_change = '2026-11-01T00:00:00.000Z'")
    con.close()


def write_gazetteer(out: Path, geo: Geography) -> None:
    gdir = out / "data" / "gazetteer"
    (gdir / "ja" / PREF).mkdir(parents=True, exist_ok=True)
    (gdir / "ja.json").write_text(json.dumps({PREF: [CITY]}, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = []
    for town in geo.towns.values():
        lon, lat = lonlat(town.point)
        rows.append({"town": town.name, "koaza": "", "lat": lat, "lng": lon})
    text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n"
    (gdir / "ja" / PREF / f"{CITY}.json").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# venues and records
# ---------------------------------------------------------------------------------------------
class Venues:
    """Halls, parks and facilities are shared by many records (same place, same point)."""

    def __init__(self, rng: random.Random, geo: Geography):
        self.rng, self.geo = rng, geo
        self.used_banchi: set[tuple[str, str]] = set()
        self.halls: dict[str, Venue] = {}
        self.parks: dict[str, Venue] = {}
        self.facilities = [self._fixed(n, "公共施設", t) for n, t in FACILITIES]
        self.shops = [self._fixed(n, "店舗", t) for n, t, _ in SHOPS]
        self.care = [self._fixed(n, "その他", t) for n, t in CARE]

    def nb_of(self, town: Town) -> Neighbourhood:
        return next(nb for nb in self.geo.neighbourhoods if nb.nb_id == town.nb_id)

    def banchi(self, town: Town) -> str:
        rng = self.rng
        while True:
            if town.name.startswith("大字"):
                b = str(rng.randint(120, 2800)) + (f"-{rng.randint(1, 6)}" if rng.random() < 0.3 else "")
            elif "丁目" in town.name:
                b = f"{rng.randint(1, 18)}-{rng.randint(1, 30)}"
            else:
                b = f"{rng.randint(1, 45)}-{rng.randint(1, 25)}"
            if (town.name, b) not in self.used_banchi:
                self.used_banchi.add((town.name, b))
                return b

    def point_near(self, town: Town, radius: float = 650) -> Point:
        return sample_in(self.rng, self.nb_of(town).geom, town.point, radius)

    def _fixed(self, name: str, kind: str, town_name: str) -> Venue:
        town = self.geo.towns[town_name]
        return Venue(name, kind, town, self.banchi(town), self.point_near(town))

    def hall(self, town: Town) -> Venue:
        if town.name not in self.halls:
            s = stem(town.name)
            name = self.rng.choice([f"{s}集会所", f"{s}公会堂", f"{s}自治会館", f"{s}コミュニティハウス"])
            self.halls[town.name] = Venue(name, "集会所", town, self.banchi(town), self.point_near(town))
        return self.halls[town.name]

    def park(self, town: Town) -> Venue:
        if town.name not in self.parks:
            s = stem(town.name)
            options = [f"{s}公園", f"{s}ふれあい広場", f"{s}運動広場"]
            if s in ("川辺", "新田", "柳町"):
                options.append(f"{s}河川敷グラウンド")
            self.parks[town.name] = Venue(
                self.rng.choice(options), "屋外", town, self.banchi(town), self.point_near(town)
            )
        return self.parks[town.name]

    def in_district(self, venues: list[Venue], district: str) -> Venue:
        local = [v for v in venues if v.town.district == district]
        return self.rng.choice(local or venues)

    def home(self, town: Town) -> Venue:
        r = self.rng.random()
        name = (
            f"{self.rng.choice(SURNAMES)}さん宅"
            if r < 0.45
            else "個人宅"
            if r < 0.75
            else f"個人宅（{self.rng.choice(SURNAMES)}）"
            if r < 0.9
            else "代表者宅"
        )
        return Venue(name, "自宅", town, self.banchi(town), self.point_near(town, 500))

    def stop(self, town: Town) -> Venue:
        """A mobile-shop stop: a spot by a hall, a bus stop or a shrine (屋外)."""
        s = stem(town.name)
        hall = self.hall(town)
        name = self.rng.choice([f"{hall.name}前", f"{s}バス停横", f"{s}神社前 広場", f"旧{s}郵便局跡 駐車場"])
        return Venue(name, "屋外", town, self.banchi(town), self.point_near(town))


def town_weights(geo: Geography) -> tuple[list[Town], list[float]]:
    towns, weights = [], []
    for nb in geo.neighbourhoods:
        w = nb.population**0.9 * (0.25 if nb.name == "奥山自治会" else 1.0)  # one thin, remote area
        for t in nb.towns:
            towns.append(t)
            weights.append(w / len(nb.towns))
    return towns, weights


def hm(h: int, m: int, style: int) -> str:
    if style == 0:
        return f"{h}:{m:02d}"
    if style == 1:
        return f"{h}時" + (f"{m}分" if m else "")
    if style == 2:
        return f"{h}時" + ("半" if m == 30 else f"{m}分" if m else "")
    return ("午前" if h < 12 else "午後") + f"{h if h <= 12 else h - 12}時" + (f"{m}分" if m else "")


def schedule(rng: random.Random, cat: str) -> str:
    d, d2 = sorted(rng.sample("月火水木金", 2), key="月火水木金".index)
    n1 = rng.choice([1, 2])
    n2 = n1 + 2
    h = rng.choice([9, 10, 10, 13, 13, 14])
    m = rng.choice([0, 0, 0, 30])
    dur = rng.choice([60, 90, 120, 120])
    eh, em = divmod(h * 60 + m + dur, 60)
    st = rng.choice([0, 0, 1, 2])
    a, b = hm(h, m, st), hm(eh, em, st)
    forms = {
        "salon": [
            f"毎週{d}曜日 {a}～{b}",
            f"第{n1}・第{n2}{d}曜日 {a}～{b}",
            f"毎月第{n1}{d}曜日 {a}～{b}",
            f"月2回（第{n1}・第{n2}{d}曜）{a}～{b}",
            f"毎月{rng.choice([5, 10, 15, 20, 25])}日 午前10時から",
            f"第{n1}{d}曜 {a}～",
        ],
        "kayoi": [
            f"毎週{d}曜日 {a}～{b}",
            f"週2回（{d}・{d2}）{hm(h, 30, 2)}～{hm(h + 1, 30, 2)}" + rng.choice(["", "", "（8月休み）"]),
            f"毎週{d}曜・{d2}曜 {a}～{b}",
            f"毎週{d}曜日 {hm(h, m, 0)}-{hm(h + 1, m, 0)}",
        ],
        "radio": [
            "毎朝6時30分から",
            "毎日 6:30～6:45",
            "毎朝6:30～（雨天中止）",
            "夏休み期間 毎朝6時30分",
            "毎週日曜日 6:30～",
            "毎朝6時半（日曜休み）",
        ],
        "seniorclub": [
            f"毎月第{n1}{d}曜日 {a}～",
            "奇数月の第1土曜 10時～",
            f"偶数月の第{n1}{d}曜 {a}から",
            "月1回（日程は回覧で）",
            "年6回程度",
            f"毎月第{n2}日曜日 9時～",
        ],
        "cafe": [
            f"毎月第{n1}{d}曜日 11:30～13:30",
            f"第{n1}・第{n2}{d}曜 11時～14時",
            f"毎週{d}曜日 10:00～15:00",
            f"毎月第{n2}土曜日 {hm(11, 0, st)}～{hm(13, 0, st)}",
        ],
        "mobile": [
            f"毎週{d}曜日 {hm(h, 20, 0)}～{hm(h, 40, 0)}",
            f"毎週{d}・{d2} {rng.choice([10, 14, 15])}時頃",
            f"毎週{d}曜 午後{rng.choice([1, 2, 3])}時{rng.choice([10, 20, 40])}分ごろ",
        ],
        "mimamori": [
            "随時",
            f"毎週ゴミの日の朝（{d}・{d2}）",
            "要問合せ",
            "不定期",
            "毎日（電話での声かけ）",
            f"定例会 毎月第{n1}{d}曜日 {a}～",
        ],
        "hobby": [
            f"毎週{d}曜日 {a}～{b}",
            f"第{n1}・第{n2}{d}曜日 午後{h - 12 if h > 12 else 1}時半から{(h - 12 if h > 12 else 1) + 2}時半",
            f"月2回（{d}曜）{a}～",
            f"毎週土曜日 {hm(13, 0, st)}～{hm(15, 0, st)}",
        ],
    }
    text = rng.choice(forms[cat])
    if rng.random() < 0.08:
        text = fullwidth(text).replace(" ", "\u3000")  # typed with the IME in full-width mode
    return text


PARTICIPANTS = {
    "salon": lambda r: r.choice(
        [
            f"約{r.randint(8, 25)}名",
            f"{r.randint(8, 25)}人",
            r.randint(8, 25),
            f"{r.randint(10, 15)}～{r.randint(18, 25)}人",
        ]
    ),
    "kayoi": lambda r: r.choice([f"{r.randint(6, 22)}人", f"約{r.randint(8, 20)}名", r.randint(6, 22)]),
    "radio": lambda r: r.choice(
        [f"約{r.randint(15, 50)}名", "約80名（夏休み）", f"{r.randint(10, 30)}人前後"]
    ),
    "seniorclub": lambda r: r.choice([f"会員{r.randint(25, 90)}名", f"{r.randint(25, 90)}人"]),
    "cafe": lambda r: r.choice([f"{r.randint(15, 40)}人前後", f"毎回{r.randint(20, 50)}名ほど", ""]),
    "mobile": lambda r: r.choice(["", f"利用者 約{r.randint(6, 20)}人", f"{r.randint(5, 15)}人くらい"]),
    "mimamori": lambda r: r.choice([f"協力員{r.randint(5, 16)}名", f"{r.randint(4, 12)}人", ""]),
    "hobby": lambda r: r.choice([f"{r.randint(5, 16)}名", f"約{r.randint(6, 20)}人", r.randint(5, 15)]),
}
TARGETS = {
    "salon": [
        "65歳以上",
        "どなたでも",
        "地域の高齢者",
        "一人暮らしの高齢者",
        "自治会員",
        "60歳以上の男性",
        "どなたでも（初回見学可）",
    ],
    "kayoi": ["65歳以上", "介護予防に関心のある方", "どなたでも", "歩いて来られる方", "地域の高齢者"],
    "radio": ["どなたでも", "子どもから高齢者まで", "地域住民"],
    "seniorclub": ["60歳以上の会員", "会員（入会随時）", "おおむね60歳以上"],
    "cafe": ["どなたでも", "子どもから高齢者まで", "地域の方", "一人暮らしの高齢者", "介護中のご家族"],
    "mobile": ["どなたでも", "地域住民", ""],
    "mimamori": ["一人暮らしの高齢者", "高齢者世帯", "支援が必要な方", "地域住民"],
    "hobby": ["どなたでも", "60歳以上", "初心者歓迎", "男性", "地域の方"],
}
FEES = {
    "salon": ["100円", "無料", "200円（お茶代）", "50円", "実費", "100円"],
    "kayoi": ["無料", "なし", "0円", "年間500円（保険料）", "無料"],
    "radio": ["無料", "無料", "なし"],
    "seniorclub": ["年会費1,000円", "年会費2,000円", "月100円"],
    "cafe": ["300円", "500円（昼食代）", "200円（コーヒー代）", "お気持ちで", "子ども無料・大人300円"],
    "mobile": ["（購入品代金）", ""],
    "mimamori": ["無料", "1回100円（有償ボランティア）", "30分300円", "無料"],
    "hobby": ["月500円", "1回200円", "材料費実費", "無料", "月1,000円"],
}
ACTIVITIES = {
    "salon": [
        "健康体操・おしゃべり・茶話会",
        "脳トレ・歌・手遊び",
        "茶話会・ミニ講話・誕生会",
        "おしゃべり・手芸・季節の行事",
        "カラオケ・囲碁・将棋",
        "お茶会・健康相談",
    ],
    "kayoi": [
        "いきいき百歳体操（DVD）・脳トレ",
        "百歳体操・かみかみ体操・茶話会",
        "ストレッチ・筋力づくり体操",
        "体操・体力測定（年2回）",
    ],
    "radio": ["ラジオ体操第1・第2", "ラジオ体操・公園清掃", "ラジオ体操・ストレッチ"],
    "seniorclub": [
        "グラウンドゴルフ・清掃活動・旅行",
        "花壇づくり・通学路の見守り",
        "輪投げ・ペタンク・新年会",
        "友愛訪問・健康教室",
    ],
    "cafe": [
        "昼食会・ミニ講話",
        "喫茶・おしゃべり・相談",
        "手づくりランチ・季節の行事",
        "モーニング・健康チェック",
    ],
    "mobile": ["食料品・日用品の移動販売", "生鮮食品・お惣菜の販売、注文配達", "野菜・パン・日用品の販売"],
    "mimamori": [
        "声かけ・安否確認・ゴミ出し支援",
        "電球交換・草取りなどの困りごと支援",
        "通院・買い物の付き添い",
        "電話での安否確認",
        "見守り訪問・配食",
    ],
    "hobby": [
        "手芸・書道・俳句",
        "男の料理教室",
        "スマホ教室",
        "絵手紙",
        "大正琴・民謡",
        "囲碁・将棋",
        "家庭菜園",
        "歴史散歩",
        "健康麻雀",
        "カラオケ",
    ],
}
HOBBIES = {
    "囲碁クラブ": "囲碁・将棋",
    "書道教室": "書道",
    "俳句の会": "俳句・吟行",
    "手芸サークル": "手芸・布ぞうりづくり",
    "男の料理教室": "料理・会食",
    "スマホ教室": "スマートフォンの使い方",
    "絵手紙の会": "絵手紙",
    "民謡の会": "民謡・踊り",
    "大正琴サークル": "大正琴の合奏",
    "健康麻雀の会": "健康麻雀（賭けない・飲まない・吸わない）",
    "家庭菜園クラブ": "野菜づくり・収穫物のおすそ分け",
    "カラオケ同好会": "カラオケ",
    "写真クラブ": "写真撮影・作品展",
    "吹き矢サークル": "スポーツ吹き矢",
    "歴史散歩の会": "史跡めぐり・まち歩き",
    "折り紙の会": "折り紙",
    "パソコン同好会": "パソコン・インターネット",
    "フォークダンスの会": "フォークダンス",
}
HOBBY_NAMES = list(HOBBIES)
CLUB_NAMES = [
    "寿会",
    "長寿会",
    "松寿会",
    "福寿会",
    "鶴亀会",
    "若返り会",
    "白寿会",
    "和楽会",
    "千寿会",
    "喜楽会",
]


def record_name(rng: random.Random, cat: str, venue: Venue, org: str, taken: dict) -> str:
    s = stem(venue.town.name)
    nick = rng.choice(NICKNAMES)
    for attempt in range(50):
        if cat == "salon":
            options = [
                f"{s}ふれあいサロン",
                f"サロン「{nick}」",
                f"{s}いきいきサロン",
                f"お茶のみサロン {nick}",
                f"{s}男のサロン",
                f"歌声サロン{nick}",
                f"{s}サロン{nick}",
            ]
            if venue.kind == "自宅":
                options = [f"サロン「{nick}」", f"お茶のみ会 {nick}", f"{nick}の会", f"{s}おしゃべり会"]
        elif cat == "kayoi":
            options = [
                f"{s}百歳体操の会",
                f"いきいき百歳体操（{s}）",
                f"{s}元気アップ体操",
                f"{s}かよい塾",
                f"{s}貯筋クラブ",
                f"百歳体操 {nick}",
            ]
        elif cat == "radio":
            options = [f"{venue.name}ラジオ体操会", f"{s}朝のラジオ体操", f"{s}ラジオ体操の会"]
        elif cat == "seniorclub":
            options = [f"{s}老人クラブ「{rng.choice(CLUB_NAMES)}」", f"{s}{rng.choice(CLUB_NAMES)}"]
        elif cat == "cafe":
            options = [
                f"地域カフェ「{nick}」",
                f"{s}みんなの食堂",
                f"ふれあい食事会（{s}）",
                f"コミュニティカフェ {nick}",
                f"{s}男の昼ごはん会",
                f"{nick}カフェ",
            ]
            if org == "医療・介護機関":
                options = [f"オレンジカフェ {nick}", f"認知症カフェ「{nick}」"]
        elif cat == "mobile":
            truck = rng.choice(["やまびこ号", "とくとく便", "まごころ便", "たから号"])
            options = [f"移動販売「{truck}」{s}停留所", f"移動スーパー {truck}（{s}）"]
        elif cat == "mimamori":
            options = [
                f"{s}見守り隊",
                f"{s}ゴミ出しお助け隊",
                f"ちょこっと支え合い {s}",
                f"{s}おはよう電話の会",
                f"有償ボランティア「{nick}」",
                f"{s}助け合いの会",
            ]
        else:
            options = [f"{s}{rng.choice(HOBBY_NAMES)}", f"{rng.choice(HOBBY_NAMES)}「{nick}」"]
        name = rng.choice(options)
        if attempt > 20:
            name = f"{name}（{s}）" if attempt < 30 else f"{name} {attempt - 29}"
        if name not in taken:
            taken[name] = True
            return name
        nick = rng.choice(NICKNAMES)
    raise RuntimeError("ran out of names")


def address(rng: random.Random, venue: Venue) -> str:
    """The venue's address, written one of the ways coordinators write it."""
    town, banchi = venue.town.name, venue.banchi
    r = rng.random()
    if town.startswith("大字") and rng.random() < 0.4:
        town = stem(town)  # 大字 is often left out
    if r < 0.5:
        text = f"{PREF}{CITY}{town}{banchi}"
    elif r < 0.72:
        text = f"{CITY}{town}{banchi}"  # without the prefecture
    elif r < 0.84:
        text = fullwidth(f"{PREF}{CITY}{chome_digits(town)}{banchi}")  # 本町２丁目３－５
    elif r < 0.92 and "丁目" in town:
        parts = [int(x) for x in banchi.split("-")]
        text = f"{PREF}{CITY}{town}{kanji_number(parts[0])}番" + (
            f"{kanji_number(parts[1])}号" if len(parts) > 1 else "地"
        )
    elif r < 0.92:
        text = f"{CITY}{town}{banchi.replace('-', '番地', 1) if '-' in banchi else banchi + '番地'}"
    else:
        text = f"{CITY}{town}{banchi}" + ("" if venue.kind == "自宅" else f" {venue.name}")
    return text


def fmt_date(rng: random.Random, d: date):
    """A 最終確認日 in one of the forms seen in real sheets; a `date` stays a real Excel date."""
    r = rng.random()
    reiwa = d.year - 2018
    if d < date(2019, 5, 1):
        return rng.choice(
            [f"H{d.year - 1988}.{d.month}.{d.day}", f"平成{d.year - 1988}年{d.month}月{d.day}日", d]
        )
    if r < 0.36:
        return d
    if r < 0.52:
        return f"令和{reiwa}年{d.month}月{d.day}日"
    if r < 0.66:
        return f"R{reiwa}.{d.month}.{d.day}"
    if r < 0.86:
        return f"{d.year}/{d.month}/{d.day}"
    if r < 0.93:
        return f"{d.year}年{d.month}月{d.day}日"
    return d.isoformat()


def phone(rng: random.Random, org: str) -> str:
    """Obviously fictional numbers: exchange 00 does not exist in Japan."""
    if org == "社協":
        return "たから市社協 0866-00-0100"
    if org == "医療・介護機関":
        return f"0866-00-{rng.randint(2000, 2999)}"
    if org in ("企業", "NPO"):
        return f"0866-00-{rng.randint(3000, 4999)}"
    n = f"0866-00-{rng.randint(5000, 9999)}"
    r = rng.random()
    if r < 0.25:
        return f"{n}（代表：{rng.choice(SURNAMES)}）"
    if r < 0.4:
        return f"{rng.choice(SURNAMES)} {n}"
    if r < 0.46:
        return fullwidth(n)
    return n


def make_records(rng: random.Random, geo: Geography, venues: Venues) -> list[Record]:
    towns, weights = town_weights(geo)
    slots = [
        (cat, kind) for cat, quota in VENUE_QUOTAS.items() for kind, k in quota.items() for _ in range(k)
    ]
    rng.shuffle(slots)
    taken: dict[str, bool] = {}
    short = {did: s for did, _, s, _ in geo.districts}
    records = [_record_in_slot(rng, venues, cat, kind, (towns, weights), taken, short) for cat, kind in slots]
    homes, withheld = _statuses_and_dates(rng, records)
    _stories_and_photos(rng, records, homes, withheld)
    return records


def _venue_for(
    rng: random.Random, venues: Venues, cat: str, kind: str, town: Town, org: str
) -> tuple[Venue, str]:
    """The venue of a place of this kind in this town, and its organiser (some kinds decide it)."""
    if kind == "集会所":
        venue = venues.hall(town)
    elif kind == "公共施設":
        venue = venues.in_district(venues.facilities, town.district)
    elif kind == "店舗":
        venue = venues.in_district(venues.shops, town.district)
    elif kind == "その他":
        venue, org = venues.rng.choice(venues.care), "医療・介護機関"
    elif kind == "自宅":
        venue, org = venues.home(town), "住民主体"
    elif kind == "屋外":
        venue = venues.stop(town) if cat == "mobile" else venues.park(town)
    else:  # online: the organiser's office is the only address there is
        office = venues.facilities[0]
        venue = Venue(
            rng.choice(["オンライン（Zoom）", "オンライン（LINE通話）", "オンライン"]),
            "オンライン",
            office.town,
            office.banchi,
            None,
        )
        org = rng.choice(["社協", "NPO"])
    return venue, org


def _record_in_slot(
    rng: random.Random,
    venues: Venues,
    cat: str,
    kind: str,
    town_choice: tuple[list, list],
    taken: dict[str, bool],
    short: dict[str, str],
) -> Record:
    """One place of a category at a kind of venue, with the cells a coordinator would have typed."""
    towns, weights = town_choice
    town = rng.choices(towns, weights)[0]
    org = weighted(rng, ORGANISERS[cat])
    venue, org = _venue_for(rng, venues, cat, kind, town, org)
    rec = Record(cat, venue, org)
    rec.name = record_name(rng, cat, venue, org, taken)
    activities = rng.choice(ACTIVITIES[cat])
    if cat == "hobby":  # the activity follows the club's name
        activities = next((a for h, a in HOBBIES.items() if h in rec.name), activities)
    kind_text = kind
    if rng.random() < 0.15:  # the words coordinators actually use
        kind_text = {"公共施設": "公民館", "集会所": "集会場", "自宅": "個人宅", "屋外": "公園"}.get(
            kind, kind
        )
    cat_text = LABEL[cat] if rng.random() < 0.88 else rng.choice(ALIASES[cat])
    district = short[venue.town.district]
    rec.cells = {
        "名称": rec.name,
        "種別": cat_text,
        "運営主体": org,
        "会場": venue.name,
        "会場種別": kind_text,
        "所在地": address(rng, venue) if venue.point is not None or kind == "オンライン" else "",
        "開催日時": schedule(rng, cat),
        "対象": rng.choice(TARGETS[cat]),
        "参加費": rng.choice(FEES[cat]),
        "活動内容": activities,
        "参加人数": PARTICIPANTS[cat](rng),
        "状況": rng.choice(["活動中"] * 6 + ["", "", "実施中"]),
        "掲載可否": rng.choice(["可"] * 5 + ["○"]),
        "地区": (
            "全域"
            if kind == "オンライン"
            else rng.choice([district, district, f"{district}地区", f"{district}中学校区", "", ""])
        ),
    }
    if kind == "オンライン":
        rec.cells["所在地"] = f"{CITY}{venue.town.name}{venue.banchi}（事務局）"
    if rng.random() < 0.82:
        rec.cells["連絡先"] = phone(rng, org)
        personal = org == "住民主体"
        rec.cells["連絡先掲載"] = rng.choice(
            ["可", "可", "不可", "不可", "", "×"] if personal else ["可", "可", "○", ""]
        )
    if venue.point is not None and rng.random() < 0.6:
        jitter = Point(venue.point.x + rng.uniform(-6, 6), venue.point.y + rng.uniform(-6, 6))
        lon, lat = lonlat(jitter)
        rec.cells["緯度"], rec.cells["経度"] = (
            (lat, lon) if rng.random() < 0.9 else (f"{lat:.5f}", f"{lon:.5f}")
        )
    if rng.random() < 0.05 and cat != "radio":
        rec.cells["開催日時"] = rng.choice(UNPARSEABLE)
    return rec


def _statuses_and_dates(rng: random.Random, records: list[Record]) -> tuple[list[int], list[int]]:
    """Status, consent and confirmation dates, with fixed counts. Returns the homes and the withheld."""
    # Status, consent and confirmation dates, with fixed counts.
    idx = list(range(len(records)))
    paused = rng.sample([i for i in idx if records[i].category not in ("mobile",)], 25)
    ended = rng.sample([i for i in idx if i not in paused], 4)
    for i in paused:
        records[i].cells["状況"] = rng.choice(["休止中"] * 4 + ["休止"])
        if rng.random() < 0.3:
            records[i].cells["開催日時"] = rng.choice(
                ["再開未定", "（休止中）", records[i].cells["開催日時"]]
            )
    for i in ended:
        records[i].cells["状況"] = "終了"
    homes = [i for i in idx if records[i].venue.kind == "自宅"]
    withheld = rng.sample(homes, 6) + rng.sample([i for i in idx if i not in homes], 14)
    for i in withheld:
        records[i].cells["掲載可否"] = rng.choice(["不可", "不可", "不可", "×"])
    unconfirmed = rng.sample([i for i in idx if i not in withheld], 3)
    for i in unconfirmed:
        records[i].cells["掲載可否"] = rng.choice(["", "確認中"])
    for i in idx:
        c = records[i].cells
        stale = (c["状況"] in ("休止中", "休止", "終了") and rng.random() < 0.6) or rng.random() < 0.14
        if stale:
            d = date(2019, 1, 10) + timedelta(
                days=rng.randint(0, (date(2025, 10, 15) - date(2019, 1, 10)).days)
            )
        else:
            d = date(2025, 11, 20) + timedelta(
                days=rng.randint(0, (date(2026, 10, 28) - date(2025, 11, 20)).days)
            )
        c["最終確認日"] = "" if rng.random() < 0.04 else fmt_date(rng, d)
    # the forms the brief's coordinators wrote, verbatim, on a few stale rows
    for i, text in zip(rng.sample(idx, 4), ["令和6年7月22日", "R5.2.5", "H31.4.1", "2023/2/6"]):
        records[i].cells["最終確認日"] = text

    return homes, withheld


def _stories_and_photos(
    rng: random.Random, records: list[Record], homes: list[int], withheld: list[int]
) -> None:
    idx = list(range(len(records)))

    # Stories: home stories go to home salons; each category's stories to its own places.
    def pick(candidates: list[int], k: int) -> list[int]:
        return rng.sample(candidates, min(k, len(candidates)))

    storied: list[int] = []
    home_salons = [i for i in homes if records[i].category == "salon" and i not in withheld]
    for i, text in zip(pick(home_salons, len(STORIES["home"])), STORIES["home"]):
        records[i].cells["紹介文"] = text
        storied.append(i)
    for cat, texts in STORIES.items():
        if cat == "home":
            continue
        pool = [
            i
            for i in idx
            if records[i].category == cat and i not in storied and records[i].venue.kind != "自宅"
        ]
        for i, text in zip(pick(pool, len(texts)), texts):
            records[i].cells["紹介文"] = text
            storied.append(i)
    tell_fitting_stories(records, storied)
    # Photos on 30 storied places; the first is a home salon (its photo carries GPS: a privacy test).
    photo_idx = [i for i in storied if records[i].venue.kind == "自宅"][:1]
    photo_idx += pick([i for i in storied if i not in photo_idx], 29)
    for n, i in enumerate(photo_idx, 1):
        records[i].cells["写真"] = f"photos/{n:02d}-{records[i].category}.jpg"
        records[i].cells["写真掲載"] = "可" if n > 4 or n == 1 else rng.choice(["不可", "×"])


def add_broken_rows(rng: random.Random, records: list[Record], venues: Venues, geo: Geography) -> None:
    """Six rows that are wrong on purpose; the build must report each one (see data/README.md)."""

    def clone(cat: str, reason: str, **cells) -> Record:
        base = next(
            r
            for r in records
            if r.category == cat
            and r.venue.kind == "集会所"
            and not r.broken
            and "写真" not in r.cells
            and r.cells["掲載可否"] in ("可", "○")
        )
        rec = Record(cat, base.venue, base.organiser, broken=reason)
        rec.cells = {
            k: v for k, v in base.cells.items() if k not in ("紹介文", "写真", "写真掲載", "緯度", "経度")
        }
        rec.cells["最終確認日"] = "R8.9.1"
        rec.cells["状況"] = "活動中"
        rec.cells["地区"] = ""
        rec.cells.update(cells)
        rec.name = rec.cells.get("名称", "")
        return rec

    town = geo.towns["松原"]
    hall = venues.hall(geo.towns["新田"])
    ueno = venues.hall(geo.towns["上野"])
    lon, lat = lonlat(hall.point)
    broken = [
        clone(
            "salon",
            "名称が空欄 / no name",
            名称="",
            会場=ueno.name,
            所在地=f"{CITY}上野{ueno.banchi}",
            活動内容="おしゃべり・健康体操",
            地区="西",
        ),
        clone(
            "kayoi",
            "所在地がどこにも当たらない（みどり台という町は無い）・座標なし / address geocodes nowhere, no coordinates",
            名称="みどり台元気体操クラブ",
            会場="みどり台集会所",
            所在地="みどり台ニュータウン5-12",
            地区="",
        ),
        clone(
            "radio",
            "座標が市の外（約20km西）/ point outside the city",
            名称="ひかり公園ラジオ体操会",
            会場="ひかり公園",
            会場種別="屋外",
            所在地="",
            緯度=34.8412,
            経度=133.4537,
            地区="",
        ),
        clone(
            "salon",
            "緯度と経度が入れ替わっている / latitude and longitude swapped",
            名称="新田なかよしサロン",
            会場=hall.name,
            所在地=f"{PREF}{CITY}新田{hall.banchi}",
            緯度=lon,
            経度=lat,
        ),
        clone(
            "seniorclub",
            "No.が他の行と重複 / duplicate No.",
            名称="松原老人クラブ「さつき会」",
            会場=venues.hall(town).name,
            所在地=f"{CITY}松原{venues.hall(town).banchi}",
        ),
        clone(
            "hobby",
            "種別「防災活動」がカテゴリーに無い / category not in the list",
            名称="栄町防災サークル",
            種別="防災活動",
            活動内容="防災訓練・備蓄の点検",
        ),
    ]
    for rec in broken:
        records.insert(rng.randint(10, len(records) - 10), rec)


def number_rows(rng: random.Random, records: list[Record]) -> None:
    """No. as a sheet that has lived for years: mostly in order, a few gaps, ~10 new rows left blank."""
    district_order = [d[0] for d in DISTRICTS]
    records.sort(
        key=lambda r: district_order.index(r.venue.town.district) if not r.broken else rng.randint(0, 4)
    )
    n = 0
    blanks = set(rng.sample([i for i, r in enumerate(records) if not r.broken], 10))
    for i, rec in enumerate(records):
        if "No.が他の行と重複" in rec.broken:
            continue
        if i in blanks and not rec.broken:
            rec.cells["No."] = None
            continue
        n += 1 + (1 if rng.random() < 0.04 else 0)  # removed rows leave gaps
        rec.cells["No."] = n
    # The copy must come AFTER the row whose No. it repeats: the first use of a number is the one kept.
    dup = next(r for r in records if "No.が他の行と重複" in r.broken)
    earlier = [
        r for r in records[: records.index(dup)] if isinstance(r.cells.get("No."), int) and not r.broken
    ]
    if not earlier:
        records.remove(dup)
        records.insert(len(records) // 2, dup)
        earlier = [
            r for r in records[: records.index(dup)] if isinstance(r.cells.get("No."), int) and not r.broken
        ]
    dup.cells["No."] = rng.choice(earlier).cells["No."]


# ---------------------------------------------------------------------------------------------
# files: xlsx, csv, photos
# ---------------------------------------------------------------------------------------------
def normalise_zip(path: Path) -> None:
    """Rewrite a zip (xlsx) with fixed timestamps, so the same workbook gives the same bytes."""
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    path.write_bytes(buf.getvalue())


def write_xlsx(out: Path, rng: random.Random, records: list[Record]) -> dict[int, Record]:
    """Returns {excel row: record} so the README can name the broken rows."""
    wb = Workbook()
    guide = wb.active
    guide.title = "記入例・説明"  # the explanation sheet comes first, as in many real workbooks
    sheet = wb.create_sheet("通いの場一覧")
    wb.properties.creator = "たから市 生活支援コーディネーター（架空）"
    wb.properties.lastModifiedBy = "たから市 生活支援コーディネーター（架空）"
    wb.properties.title = "たから市 通いの場・地域資源一覧（架空のデモデータ）"
    wb.properties.created = datetime(2021, 4, 1, 9, 0)
    wb.properties.modified = datetime(2026, 11, 1, 0, 0)

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet["A1"] = "たから市 通いの場・地域資源一覧（令和8年11月1日現在）"
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.merge_cells("A1:J1")
    header_row = 3
    for col, h in enumerate(HEADERS, 1):
        cell = sheet.cell(header_row, col, h)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    widths = {
        "No.": 6,
        "名称": 28,
        "種別": 14,
        "運営主体": 12,
        "会場": 24,
        "会場種別": 10,
        "所在地": 34,
        "緯度": 11,
        "経度": 11,
        "開催日時": 30,
        "対象": 18,
        "参加費": 14,
        "活動内容": 28,
        "参加人数": 12,
        "連絡先": 24,
        "紹介文": 50,
        "最終確認日": 14,
    }
    for col, h in enumerate(HEADERS, 1):
        sheet.column_dimensions[sheet.cell(header_row, col).column_letter].width = widths.get(h, 9)
    sheet.freeze_panes = "C4"

    row = header_row + 1
    rows: dict[int, Record] = {}
    blank_after = set(rng.sample(range(20, len(records) - 5), 4))  # blank rows inside the table
    era_format = '[$-411]ggge"年"m"月"d"日"'
    for i, rec in enumerate(records):
        for col, h in enumerate(HEADERS, 1):
            value = rec.cells.get(h)
            if value in (None, ""):
                continue
            cell = sheet.cell(row, col, value)
            if isinstance(value, date):
                cell.number_format = era_format if rng.random() < 0.3 else "yyyy/m/d"
            if h == "紹介文":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        rows[row] = rec
        row += 1
        if i in blank_after:
            row += 1
    row += 1
    notes = [
        "※掲載可否が「不可」または空欄の団体は、冊子・マップに掲載しません。",
        "※会場が個人宅の場合、マップには町名までしか載せません（番地・建物は載せない）。",
        "※連絡先は「連絡先掲載」が「可」のものだけ掲載します。写真・紹介文も本人の了解を得てから。",
        "※No.は冊子の一覧表番号です。新しく加えた行は空欄のままで構いません（作成時に付番）。",
        "※このファイルは架空のまち「たから市」のデモデータです。実在の団体・人物・電話番号とは関係ありません。",
    ]
    for note in notes:
        sheet.cell(row, 1, note)
        row += 1

    guide["A1"] = "記入のしかた（たから市 通いの場・地域資源一覧）"
    guide["A1"].font = Font(size=14, bold=True)
    guide.append([])
    guide.append(["項目", "書き方", "記入例"])
    for c in guide[3]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDEBF7")
    explain = [
        ("No.", "冊子の一覧表番号。新しい行は空欄でよい", "12"),
        ("名称", "団体・活動の名前", "本町ふれあいサロン"),
        (
            "種別",
            "サロン／通いの場（体操）／ラジオ体操／老人クラブ／地域カフェ・食事会／移動販売／見守り・生活支援／趣味・学び",
            "サロン",
        ),
        ("運営主体", "住民主体／社協／NPO／企業／医療・介護機関", "住民主体"),
        ("会場", "会場の名前", "本町一丁目集会所"),
        ("会場種別", "公共施設／集会所／自宅／店舗／屋外／オンライン", "集会所"),
        ("所在地", "会場の住所（番地まで）", "岡山県たから市本町一丁目3-5"),
        (
            "緯度・経度",
            "わかれば地図で調べて記入（空欄なら住所から位置を求めます）",
            "34.905123 / 133.655456",
        ),
        ("開催日時", "曜日と時間", "毎週水曜日 10:00～12:00"),
        ("連絡先掲載", "連絡先を載せてよいか（可／不可）", "可"),
        ("掲載可否", "マップ・冊子に載せてよいか（可／不可）。必ず本人・代表者に確認", "可"),
        ("写真・写真掲載", "写真ファイル名と、載せてよいか", "photos/01-salon.jpg / 可"),
        (
            "紹介文",
            "宝物マップに載せる、その場所のちょっといい話",
            "みんなで育てた野菜を施設にお届けしています",
        ),
        ("状況", "活動中／休止中／終了", "活動中"),
        ("最終確認日", "最後に活動を確認した日", "令和8年10月1日"),
        ("地区", "中学校区（わかれば）", "中央"),
    ]
    for item in explain:
        guide.append(list(item))
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 70
    guide.column_dimensions["C"].width = 40

    path = out / "data" / "records" / "kayoinoba.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    normalise_zip(path)
    return rows


def write_extra_csv(out: Path, rng: random.Random, venues: Venues, geo: Geography, taken: dict) -> list[dict]:
    """A second source: the volunteer centre's list, Shift_JIS (CP932) with English headers."""
    headers = [
        "name",
        "category",
        "organiser",
        "venue",
        "venue_kind",
        "address",
        "lat",
        "lon",
        "schedule",
        "target",
        "fee",
        "activities",
        "contact",
        "contact_consent",
        "consent",
        "status",
        "confirmed",
        "notes",
    ]
    plan = [
        ("mimamori", "集会所"),
        ("mimamori", "公共施設"),
        ("mimamori", "集会所"),
        ("mimamori", "自宅"),
        ("hobby", "公共施設"),
        ("hobby", "公共施設"),
        ("hobby", "集会所"),
        ("hobby", "店舗"),
        ("cafe", "店舗"),
        ("cafe", "公共施設"),
        ("salon", "集会所"),
        ("salon", "自宅"),
        ("salon", "集会所"),
        ("kayoi", "集会所"),
        ("kayoi", "公共施設"),
    ]
    towns, weights = town_weights(geo)
    rows = []
    for k, (cat, kind) in enumerate(plan):
        town = rng.choices(towns, weights)[0]
        org = weighted(rng, {"NPO": 40, "住民主体": 40, "社協": 20})
        if kind == "集会所":
            venue = venues.hall(town)
        elif kind == "公共施設":
            venue = venues.in_district(venues.facilities, town.district)
        elif kind == "店舗":
            venue = venues.in_district(venues.shops, town.district)
        else:
            venue, org = venues.home(town), "住民主体"
        name = record_name(rng, cat, venue, org, taken)
        activities = next((a for h, a in HOBBIES.items() if h in name), None) or rng.choice(ACTIVITIES[cat])
        row = {
            "name": name,
            "category": LABEL[cat] if k % 4 else ALIASES[cat][0],
            "organiser": org,
            "venue": venue.name,
            "venue_kind": rng.choice([kind, kind, {"自宅": "home", "店舗": "shop"}.get(kind, kind)]),
            "address": f"{CITY}{venue.town.name}{venue.banchi}",
            "schedule": schedule(rng, cat),
            "target": rng.choice(TARGETS[cat]),
            "fee": rng.choice(FEES[cat]),
            "activities": activities,
            "contact": phone(rng, org),
            "contact_consent": rng.choice(["yes", "yes", "no"]),
            "consent": "yes" if k != 6 else "no",
            "status": "active" if k != 9 else "paused",
            "confirmed": (date(2026, 4, 1) + timedelta(days=rng.randint(0, 200))).isoformat(),
            "notes": rng.choice(
                ["ボランティアセンター登録団体", "令和8年度新規登録", "", "協議体で紹介あり"]
            ),
        }
        if rng.random() < 0.5:
            lon, lat = lonlat(venue.point)
            row["lat"], row["lon"] = f"{lat:.6f}", f"{lon:.6f}"
        rows.append(row)
    path = out / "data" / "records" / "extra.csv"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, headers, lineterminator="\r\n")  # as Excel saves "CSV (コンマ区切り)"
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("cp932"))
    return rows


def font(size: int):
    for p in FONT_PATHS:
        if Path(p).exists():
            return ImageFont.truetype(p, size, index=0)  # index 0: Noto Sans CJK JP
    return None


PALETTE = {
    "salon": ("#FCE4EC", "#C2185B"),
    "kayoi": ("#E3F2FD", "#1565C0"),
    "radio": ("#E8F5E9", "#2E7D32"),
    "seniorclub": ("#F3E5F5", "#6A1B9A"),
    "cafe": ("#FBE9E7", "#BF360C"),
    "mobile": ("#E0F2F1", "#00695C"),
    "mimamori": ("#EFEBE9", "#4E342E"),
    "hobby": ("#ECEFF1", "#37474F"),
}


# What a picture shows, from the words of the group's name and activities (first match wins), so that a
# folk-dance circle is drawn dancing in a ring and a blowgun club aiming at its target.
SCENES = [
    (("フォークダンス", "ダンス"), "dance"),
    (("吹き矢",), "target"),
    (("大正琴", "歌", "カラオケ", "コーラス", "合唱"), "music"),
    (("パソコン", "スマホ", "スマートフォン", "インターネット"), "screens"),
    (("絵手紙", "書道", "俳句"), "postcards"),
    (("囲碁", "将棋"), "board"),
    (("手芸", "編み物", "布ぞうり"), "yarn"),
    (("輪投げ", "ペタンク", "グラウンドゴルフ"), "rings"),
    (("花壇", "園芸", "野菜"), "flowers"),
    (("ラジオ体操",), "radio"),
    (("体操", "百歳", "ストレッチ"), "exercise"),
    (("移動", "販売", "スーパー"), "truck"),
    (("見守り", "配食", "ゴミ出し", "付き添い", "助け合い", "支え合い", "安否"), "visit"),
    (("ランチ", "食事", "昼食", "モーニング", "カフェ", "喫茶"), "meal"),
]
OUTDOOR_SCENES = {"radio", "truck", "visit", "flowers", "rings"}
SKIN = ("#F5D0B5", "#EBC1A0", "#F1C8A8", "#E0B290")
CLOTHES = ("#C9695F", "#5B8DB8", "#D9A441", "#8E6FA8", "#4F9A8A", "#D98563", "#7C8B4F", "#B5647E")


def scene_of(record: Record) -> str:
    text = record.name + " " + str(record.cells.get("活動内容", ""))
    return next((scene for words, scene in SCENES if any(w in text for w in words)), "table")


def draw_photo(rng: random.Random, record: Record) -> Image.Image:
    """A painted scene of the group's own activity (see SCENES): a room or a street in soft colours, people
    of different heights and clothes, the things they use, then a brush-like softness and paper grain.
    Invented pictures, labelled with the group's name."""
    w, h = 480, 360
    scene = scene_of(record)
    outdoor = scene in OUTDOOR_SCENES and record.venue.kind != "自宅"
    img = Image.new("RGB", (w, h), "#FFFFFF")
    d = ImageDraw.Draw(img)
    (paint_outdoors if outdoor else paint_room)(rng, d, w, h, home=record.venue.kind == "自宅")
    PROPS.get(scene, prop_table)(rng, d)
    people(rng, d, scene)
    img = soften(rng, img)
    d = ImageDraw.Draw(img)
    accent = PALETTE[record.category][1]
    d.rounded_rectangle([12, 308, w - 12, h - 10], radius=10, fill="#FFFFFF", outline=accent, width=2)
    f = font(20)
    if f is not None:
        d.text((w // 2, 330), record.name, font=f, fill="#212121", anchor="mm")
    return img


def paint_outdoors(rng: random.Random, d: ImageDraw.ImageDraw, w: int, h: int, home: bool = False) -> None:
    top, low = (158, 196, 226), (226, 236, 240)
    for y in range(0, 200, 2):
        t = y / 200
        d.rectangle([0, y, w, y + 2], fill=tuple(int(top[i] * (1 - t) + low[i] * t) for i in range(3)))
    for k in range(4):  # roofs of the neighbourhood behind, in muted colours
        x = rng.randint(-40, w - 60)
        d.rectangle(
            [x, 150 - k * 6, x + rng.randint(70, 120), 205],
            fill=rng.choice(["#D8CFC4", "#CBBFAF", "#E2D8C8"]),
        )
        d.polygon([(x - 6, 152 - k * 6), (x + 50, 120 - k * 6), (x + 126, 152 - k * 6)], fill="#8C7B6B")
    d.rectangle([0, 200, w, h], fill="#B9C4A6")  # the ground: a park or a street corner
    d.rectangle([0, 230, w, 246], fill="#C8C2B4")


def paint_room(rng: random.Random, d: ImageDraw.ImageDraw, w: int, h: int, home: bool = False) -> None:
    wall = "#F2E6D6" if home else rng.choice(["#E9E4D8", "#EDE7DD", "#E6E2D3"])
    d.rectangle([0, 0, w, 210], fill=wall)
    d.rectangle([0, 205, w, 212], fill="#B89B7A")
    floor = "#C9A57E" if home else "#D2B48C"
    d.rectangle([0, 212, w, h], fill=floor)
    for x in range(0, w, 40):  # floor boards
        d.line([x, 212, x - 30, h], fill="#BD9670", width=1)
    wx = rng.randint(40, 320)
    d.rectangle([wx, 40, wx + 120, 140], fill="#CFE3EE", outline="#9C8266", width=5)  # a window
    d.line([wx + 60, 40, wx + 60, 140], fill="#9C8266", width=4)
    if home:
        d.rectangle([wx + 150, 90, wx + 190, 200], fill="#7D6450")  # a cupboard in a living room


def person(
    d: ImageDraw.ImageDraw, x: int, y: int, tall: int, colour: str, skin: str, arms: str = "down"
) -> None:
    """A person standing at x with feet at y: body, head, arms (down, up or out)."""
    top = y - tall
    d.rounded_rectangle([x - 15, top + 30, x + 15, y - 22], radius=12, fill=colour)
    d.rectangle([x - 11, y - 24, x - 3, y], fill="#5D5550")
    d.rectangle([x + 3, y - 24, x + 11, y], fill="#5D5550")
    d.ellipse([x - 13, top, x + 13, top + 28], fill=skin)
    d.pieslice([x - 14, top - 2, x + 14, top + 22], 180, 360, fill=rgb_shade("#CFCFCF", tall))
    reach = {"down": (-22, 36), "up": (-30, -32), "out": (-34, 6)}[arms]
    for side in (-1, 1):
        d.line(
            [x + side * 13, top + 38, x + side * (13 - reach[0]), top + 38 + reach[1]], fill=colour, width=7
        )


def rgb_shade(colour: str, seed: int) -> str:
    """Hair: grey, white or dark, chosen by the person's height so that a crowd varies."""
    return ("#D8D8D8", "#A9A9A9", "#5A4E46", "#EFEFEF")[seed % 4]


def people(rng: random.Random, d: ImageDraw.ImageDraw, scene: str) -> None:
    n = rng.randint(4, 6)
    if scene == "dance":  # a ring, hands held
        for k in range(n):
            angle = 2 * math.pi * k / n
            x, y = int(150 + 105 * math.cos(angle)), int(262 + 26 * math.sin(angle))
            person(d, x, y, rng.randint(100, 118), rng.choice(CLOTHES), rng.choice(SKIN), "out")
        return
    arms = "up" if scene in ("radio", "exercise") else "down"
    for k in range(n):
        x = 40 + k * (230 // n) + rng.randint(-5, 5)
        person(d, x, rng.randint(268, 284), rng.randint(96, 122), rng.choice(CLOTHES), rng.choice(SKIN), arms)


def prop_table(rng: random.Random, d: ImageDraw.ImageDraw, things: str = "cups") -> None:
    d.rectangle([270, 232, 460, 246], fill="#8B6B4E")
    d.rectangle([284, 246, 292, 290], fill="#7A5C42")
    d.rectangle([438, 246, 446, 290], fill="#7A5C42")
    for x in range(290, 440, 44):
        if things == "cups":
            d.rectangle([x, 214, x + 18, 232], fill="#FFFFFF", outline="#A07856", width=2)
            d.arc([x + 4, 196, x + 14, 214], 200, 340, fill="#B0B0B0", width=2)  # steam
        elif things == "bowls":
            d.chord([x - 4, 206, x + 26, 236], 0, 180, fill="#F4E3C9", outline="#9B6B43")
        elif things == "screens":
            d.rectangle([x, 190, x + 30, 214], fill="#4A6A86", outline="#2F3B45", width=2)
            d.rectangle([x + 12, 214, x + 18, 232], fill="#2F3B45")
        elif things == "postcards":
            d.rectangle([x, 220, x + 28, 232], fill="#FFFDF5", outline="#9E9E9E")
            d.ellipse([x + 8, 222, x + 18, 231], fill=rng.choice(["#E07A3F", "#C0392B", "#7FA650"]))
        elif things == "board":
            d.rectangle([x, 218, x + 30, 232], fill="#E3C07A", outline="#6D4C2F")
            for k in range(1, 4):
                d.line([x + k * 7, 218, x + k * 7, 232], fill="#6D4C2F")
        elif things == "yarn":
            d.ellipse([x, 216, x + 18, 232], fill=rng.choice(["#E57373", "#64B5F6", "#FFD54F", "#81C784"]))


PROPS: dict[str, object] = {
    "meal": lambda rng, d: prop_table(rng, d, "bowls"),
    "screens": lambda rng, d: prop_table(rng, d, "screens"),
    "postcards": lambda rng, d: prop_table(rng, d, "postcards"),
    "board": lambda rng, d: prop_table(rng, d, "board"),
    "yarn": lambda rng, d: prop_table(rng, d, "yarn"),
    "table": lambda rng, d: prop_table(rng, d, "cups"),
    "dance": lambda rng, d: None,
    "exercise": lambda rng, d: [
        d.rectangle([x, 236, x + 30, 246], fill="#9E8B76") for x in range(300, 450, 45)
    ],
    "radio": lambda rng, d: (
        d.rectangle([380, 236, 440, 276], fill="#7A6F66"),
        d.ellipse([392, 244, 412, 264], fill="#3F3A36"),
    ),
    "target": lambda rng, d: [
        d.ellipse([400 - r, 150 - r, 400 + r, 150 + r], fill=c)
        for r, c in ((44, "#FFFFFF"), (34, "#2F3B45"), (24, "#FFFFFF"), (14, "#C0392B"), (5, "#F1C40F"))
    ],
    "music": lambda rng, d: [
        d.text((300 + k * 40, 80 + (k % 2) * 30), "♪", fill="#6A5A8C", font=font(38)) for k in range(4)
    ],
    "rings": lambda rng, d: [
        d.ellipse([x, 250, x + 26, 262], outline="#C0392B", width=4) for x in range(320, 450, 40)
    ],
    "flowers": lambda rng, d: [
        d.ellipse([x - 9, 234, x + 9, 252], fill=rng.choice(["#F06292", "#FFB74D", "#BA68C8"]))
        for x in range(280, 470, 22)
    ],
    "truck": lambda rng, d: (
        d.rectangle([270, 170, 400, 250], fill="#FFFFFF", outline="#2E7D6B", width=3),
        d.rectangle([400, 195, 455, 250], fill="#2E7D6B"),
        d.rectangle([290, 190, 380, 230], fill="#F4D9A6"),
        d.ellipse([290, 238, 322, 270], fill="#3C3C3C"),
        d.ellipse([412, 238, 444, 270], fill="#3C3C3C"),
    ),
    "visit": lambda rng, d: (
        d.rectangle([320, 120, 460, 240], fill="#F5EBDD", outline="#8C6E54", width=3),
        d.polygon([(305, 124), (390, 70), (475, 124)], fill="#8C6E54"),
        d.rectangle([370, 170, 405, 240], fill="#A9825F"),
    ),
}


def soften(rng: random.Random, img: Image.Image) -> Image.Image:
    """A painted look rather than flat clip-art: soft edges and a little paper grain."""
    from PIL import ImageFilter

    img = img.filter(ImageFilter.GaussianBlur(1.1))
    grain = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, (img.height, img.width, 1))
    pixels = np.clip(np.asarray(img).astype(float) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def photo_exif(spec: dict, point_lonlat: tuple[float, float] | None) -> Image.Exif:
    """EXIF for the hostile-input tests: GPS of the place, a camera serial, a rotated orientation."""
    exif = Image.Exif()
    exif[0x010F] = "TAKARA OPTICAL"  # Make (fictional)
    exif[0x0110] = "TK-100"  # Model
    exif[0x0132] = "2026:06:12 10:24:00"  # DateTime
    if spec.get("orientation"):
        exif[0x0112] = spec["orientation"]
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2026:06:12 10:24:00"  # DateTimeOriginal
    if spec.get("serial"):
        sub[0xA431] = spec["serial"]  # BodySerialNumber
    if spec.get("gps") and point_lonlat:
        lon, lat = point_lonlat

        def dms(v: float) -> tuple[float, float, float]:
            deg = int(v)
            minutes = int((v - deg) * 60)
            return float(deg), float(minutes), round(((v - deg) * 60 - minutes) * 60, 2)

        gps = exif.get_ifd(0x8825)
        gps[0] = b"\x02\x02\x00\x00"
        gps[1], gps[2], gps[3], gps[4] = "N", dms(lat), "E", dms(lon)
    return exif


def write_photos(out: Path, rng: random.Random, records: list[Record]) -> list[tuple[str, dict]]:
    pdir = out / "data" / "photos"
    pdir.mkdir(parents=True, exist_ok=True)
    for old in sorted(pdir.glob("*.jpg")):
        old.unlink()
    specs = {
        1: {"gps": True, "serial": "SN-4821-0937", "orientation": 6},
        4: {"gps": True},
        8: {"orientation": 6},
        12: {"gps": True, "serial": "SN-4821-0937"},
    }
    with_photo = sorted((r for r in records if r.cells.get("写真")), key=lambda r: r.cells["写真"])
    written = []
    for rec in with_photo:
        rel = rec.cells["写真"]
        n = int(Path(rel).name[:2])
        img = draw_photo(rng, rec)
        spec = specs.get(n, {})
        if spec.get("orientation") == 6:
            img = img.transpose(Image.Transpose.ROTATE_90)  # stored sideways; EXIF says "turn 90° right"
        exif = photo_exif(spec, lonlat(rec.venue.point) if rec.venue.point is not None else None)
        img.save(out / "data" / rel, "JPEG", quality=80, optimize=True, exif=exif.tobytes())
        written.append((rel, spec))
    return written


# ---------------------------------------------------------------------------------------------
# overlays, insight data, config, README
# ---------------------------------------------------------------------------------------------
def smooth_line(rng: random.Random, points: list[Point], wiggle: float = 120) -> LineString:
    coords = []
    for a, b in itertools.pairwise(points):
        for k in range(6):
            t = k / 6
            coords.append(
                (
                    a.x + (b.x - a.x) * t + (rng.uniform(-wiggle, wiggle) if k else 0),
                    a.y + (b.y - a.y) * t + (rng.uniform(-wiggle, wiggle) if k else 0),
                )
            )
    coords.append((points[-1].x, points[-1].y))
    return LineString(coords)


def write_overlays(out: Path, rng: random.Random, geo: Geography, venues: Venues) -> None:
    ldir = out / "layers"
    ldir.mkdir(parents=True, exist_ok=True)
    t = geo.towns
    east_west = smooth_line(
        rng,
        [
            t[n].point
            for n in (
                "西原",
                "川辺",
                "柳町",
                "元町",
                "本町一丁目",
                "本町二丁目",
                "駅前一丁目",
                "桜ケ丘",
                "日の出町",
                "高畑",
            )
        ],
    )
    north = smooth_line(
        rng, [t[n].point for n in ("駅前二丁目", "旭町", "北町", "中野", "大字山田", "大字杉谷", "大字奥山")]
    )
    south = smooth_line(
        rng, [t[n].point for n in ("本町三丁目", "栄町", "南町", "若葉台一丁目", "新田", "松原", "大字小田")]
    )
    write_geojson(
        ldir / "bus_route.geojson",
        "bus_route",
        [
            (
                {"name": "たからん号 東西線", "operator": "たから市（架空）", "note": "1日8便・運賃100円"},
                to_lonlat_geom(east_west),
            ),
            (
                {
                    "name": "たからん号 北回り線",
                    "operator": "たから市（架空）",
                    "note": "1日4便・運賃100円・日曜運休",
                },
                to_lonlat_geom(north),
            ),
            (
                {"name": "たからん号 南回り線", "operator": "たから市（架空）", "note": "1日6便・運賃100円"},
                to_lonlat_geom(south),
            ),
        ],
    )
    hours = {
        "スーパー": "9:00～21:00",
        "直売所": "8:00～15:00",
        "喫茶店": "7:30～17:00",
        "食堂": "11:00～14:00",
        "パン屋": "8:00～売り切れまで",
    }
    shops = [
        ({"name": v.name, "kind": kind, "hours": hours[kind]}, to_lonlat_geom(v.point))
        for v, (_, _, kind) in zip(venues.shops, SHOPS)
        if kind in ("スーパー", "直売所")
    ]
    write_geojson(ldir / "shops.geojson", "shops", shops)
    # A river valley along the west and south: the flood area follows it (invented, not a real hazard map).
    river = smooth_line(
        rng,
        [
            Point(t["西原"].point.x - 1500, t["西原"].point.y + 2500),
            t["川辺"].point,
            Point(t["新田"].point.x - 600, t["新田"].point.y + 300),
            t["松原"].point,
            Point(t["松原"].point.x + 800, t["松原"].point.y - 3000),
        ],
        wiggle=80,
    )
    flood = river.buffer(330, quad_segs=8).intersection(geo.city).simplify(5)
    write_geojson(
        ldir / "hazard.geojson",
        "hazard",
        [
            (
                {
                    "name": "洪水浸水想定区域（架空）",
                    "depth": "0.5～3.0m",
                    "note": "デモ用の架空の区域です。実際のハザードマップではありません",
                },
                to_lonlat_geom(flood),
            )
        ],
    )
    overlays = [
        *write_streets(out, random.Random(f"{SEED}-streets"), geo, venues),
        (
            "bus",
            "コミュニティバス路線",
            "layers/bus_route.geojson",
            "lines",
            "#E65100",
            ["name", "note"],
            True,
        ),
        ("shops", "スーパー・直売所", "layers/shops.geojson", "points", "#00838F", ["name", "hours"], False),
        (
            "hazard",
            "浸水想定区域（架空）",
            "layers/hazard.geojson",
            "polygons",
            "#1E88E5",
            ["name", "depth", "note"],
            False,
        ),
    ]
    text = [
        "# Overlays for the demo: context layers drawn under the places. All invented by scripts/make_demo.py."
    ]
    for oid, name, path, kind, colour, popup, show, *style in overlays:
        text += [
            "",
            "[[overlays]]",
            f"id = {toml_str(oid)}",
            f"name = {toml_str(name)}",
            f"path = {toml_str(path)}",
            f"kind = {toml_str(kind)}",
            f"color = {toml_str(colour)}",
            f"popup_fields = {toml_str(popup)}",
            f"show = {toml_str(show)}",
            'attribution = "架空のデモデータ"',
        ] + ([f"print_style = {toml_str(style[0])}"] if style else [])
    (ldir / "overlays.toml").write_text("\n".join(text) + "\n", encoding="utf-8")


STREET_NAMES = [
    "中央通り",
    "駅前通り",
    "さくら通り",
    "川沿いの道",
    "けやき通り",
    "市役所通り",
    "旧街道",
    "学校通り",
]


def write_streets(out: Path, rng: random.Random, geo: Geography, venues: Venues) -> list[tuple]:
    """The demo's own street map, so its prints read as a walking map without tiles: main streets
    joining neighbouring towns, a small grid of lanes around every town, and landmarks a resident walks
    by (each junior high school, the city office and its branch offices, the station, the halls).
    Invented like everything else; an own random stream, so the records do not change."""
    ldir = out / "layers"
    towns = list(geo.towns.values())

    def near(town: Town, radius: float) -> Point:
        return sample_in(rng, venues.nb_of(town).geom, town.point, radius)

    points = shapely.MultiPoint([t.point for t in towns])
    main = []
    for tri in shapely.delaunay_triangles(points, only_edges=True).geoms:
        if tri.length < 2600 and geo.city.buffer(200).contains(tri):
            main.append(smooth_line(rng, [Point(tri.coords[0]), Point(tri.coords[-1])], wiggle=60))
    streets = [
        ({"name": STREET_NAMES[i % len(STREET_NAMES)] if i < len(STREET_NAMES) else "", "kind": "main"}, line)
        for i, line in enumerate(sorted(main, key=lambda g: -g.length))
    ]
    for t in towns:
        angle = rng.uniform(0, math.pi / 2)
        step, half = rng.uniform(150, 210), 520
        for axis in (angle, angle + math.pi / 2):
            dx, dy = math.cos(axis), math.sin(axis)
            for k in range(-2, 3):
                ox, oy = t.point.x - dy * k * step, t.point.y + dx * k * step
                lane = LineString([(ox - dx * half, oy - dy * half), (ox + dx * half, oy + dy * half)])
                lane = lane.intersection(venues.nb_of(t).geom.buffer(120)).intersection(geo.city)
                if not lane.is_empty and lane.length > 120:
                    streets.append(({"name": "", "kind": "lane"}, lane))
    write_geojson(ldir / "streets.geojson", "streets", [(props, to_lonlat_geom(g)) for props, g in streets])
    landmarks = []
    for did, dname, _, dgeom in geo.districts:
        spot = sample_in(rng, dgeom, dgeom.representative_point(), 500, margin=300)
        landmarks.append(({"name": f"{dname[:-1]}", "kind": "学校"}, spot))
        town = rng.choice([t for t in towns if t.district == did])
        landmarks.append(({"name": f"{dname[:-3]}小学校", "kind": "学校"}, near(town, 500)))
    landmarks.append(({"name": "たから市役所", "kind": "役所"}, near(geo.towns["本町二丁目"], 300)))
    for town in ("東山", "上野", "大字山田"):
        landmarks.append(({"name": f"市役所{stem(town)}支所", "kind": "役所"}, near(geo.towns[town], 300)))
    landmarks.append(({"name": "たから駅", "kind": "駅"}, near(geo.towns["駅前一丁目"], 200)))
    landmarks += [({"name": v.name, "kind": "公共施設"}, v.point) for v in venues.facilities if v.point]
    write_geojson(
        ldir / "landmarks.geojson", "landmarks", [(props, to_lonlat_geom(g)) for props, g in landmarks]
    )
    return [
        ("streets", "道路（架空）", "layers/streets.geojson", "lines", "#9E9E9E", ["name"], False, "street"),
        (
            "landmarks",
            "目印（学校・市役所・駅など）",
            "layers/landmarks.geojson",
            "points",
            "#37474F",
            ["name", "kind"],
            False,
            "landmark",
        ),
    ]


def write_layer_config(out: Path) -> None:
    ldir = out / "layers"
    tiers = [
        ("city", 1, "第1層（市全域）", "data/boundaries/city.geojson", "code", "name", "市全域"),
        (
            "junior_high",
            2,
            "第2層（中学校区）",
            "data/boundaries/junior_high.geojson",
            "district_id",
            "district_name",
            "中学校区",
        ),
        (
            "neighbourhood",
            3,
            "第3層（自治会・町内会）",
            "data/boundaries/neighbourhoods.gpkg",
            "nb_id",
            "nb_name",
            "自治会",
        ),
    ]
    text = [
        "# The three tiers (層) of たから市 (fictional). Boundaries are invented by scripts/make_demo.py;",
        "# the neighbourhood file is stored in EPSG:6673 (metres) on purpose, to exercise reprojection.",
    ]
    for tid, level, name, path, idf, namef, label in tiers:
        text += [
            "",
            "[[tiers]]",
            f"id = {toml_str(tid)}",
            f"level = {level}",
            f"name = {toml_str(name)}",
            f"label = {toml_str(label)}",
            f"path = {toml_str(path)}",
            f"id_field = {toml_str(idf)}",
            f"name_field = {toml_str(namef)}",
        ]
    (ldir / "tiers.toml").write_text("\n".join(text) + "\n", encoding="utf-8")
    text = [
        "# Categories: 種別 in the sheet matches label or any alias. `answers` = the need kinds",
        "# (移動支援・ゴミ出し・見守り・居場所・買い物・食事) a category answers, for the insight pages.",
    ]
    for cid, label, colour, icon, aliases, answers, _ in CATEGORIES:
        text += [
            "",
            "[[categories]]",
            f"id = {toml_str(cid)}",
            f"label = {toml_str(label)}",
            f"color = {toml_str(colour)}",
            f"icon = {toml_str(icon)}",
            f"aliases = {toml_str(aliases)}",
            f"answers = {toml_str(answers)}",
        ]
    (ldir / "categories.toml").write_text("\n".join(text) + "\n", encoding="utf-8")


TAKARA_TOML = """\
# たから市 宝物マップ: the bundled demo map project. たから市 is a FICTIONAL town.
# Every boundary, address, place, person and phone number here is invented by
# scripts/make_demo.py; edit that script and re-run it rather than editing the files.
# Tiers, categories and overlays are in layers/*.toml.

[site]
title = "たから市 宝物マップ（架空のまちのデモ）"
lead = "たから市は実在しない架空のまちです。このサイトは宝物マップのしくみを見ていただくためのデモで、場所・住所・電話番号・写真はすべて作りものです。まちのあちこちにある「宝物」——サロン、体操の集まり、ラジオ体操、見守り——を地図と一覧で紹介しています。"
attribution = "背景地図: 地理院タイル／境界・住所は架空のデモデータ"
licence = "CC BY 4.0"
edition = "2026-11-01"
# A PLACEHOLDER, not a real address: the demo is not published anywhere. Its QR codes and links point
# here, and the prints say so. Put your own site's address here (or leave it out: prints then have no QR).
base_url = "https://example.org/takara/"
fictional = true

[[site.contacts]]
name = "たから市社会福祉協議会 地域福祉課（架空）"
role = "第1層 生活支援コーディネーター"
phone = "0866-00-0100"
hours = "平日 8:30～17:15"

[[site.contacts]]
name = "たから市 東・北地域包括支援センター（架空）"
role = "第2層 生活支援コーディネーター"
phone = "0866-00-0200"
hours = "平日 9:00～17:00"

# Each district's 第2層 coordinator: shown beside a place that publishes no contact of its own.
[[site.district_contacts]]
districts = ["higashi", "kita"]
name = "たから市 東・北地域包括支援センター（架空）"
role = "第2層 生活支援コーディネーター"
phone = "0866-00-0200"
hours = "平日 9:00～17:00"

[[site.district_contacts]]
districts = ["chuo"]
name = "たから市 中央地域包括支援センター（架空）"
role = "第2層 生活支援コーディネーター"
phone = "0866-00-0300"
hours = "平日 9:00～17:00"

[[site.district_contacts]]
districts = ["nishi", "minami"]
name = "たから市 西・南地域包括支援センター（架空）"
role = "第2層 生活支援コーディネーター"
phone = "0866-00-0400"
hours = "平日 8:30～17:15"

[print]
# たから市 is invented but drawn over a real place: real streets under it would not match. Its prints use
# its own streets and landmarks (layers/streets.geojson, layers/landmarks.geojson) instead of tiles.
basemap = "none"

[build]
gazetteer = "data/gazetteer/ja"
numbers_file = "data/numbers.json"
stale_months = 12

[[records]]
path = "data/records/kayoinoba.xlsx"
sheet = "通いの場一覧"
header_row = 3

# The volunteer centre's list: CP932 CSV whose English headers are recognised as they are.
[[records]]
path = "data/records/extra.csv"

[insight]
population = "data/population.csv"
needs = "data/needs.csv"
"""

NEEDS = [
    # one need no category answers yet: the insight page shows it as unmatched (function (C) マッチング)
    ("minami-02", "通院付き添い", "通院のときに付き添ってくれる人がいない。タクシー代も負担になる"),
    ("kita-05", "移動支援", "病院まで行く手段がない。バスは1日4本しかなく、帰りの便がない"),
    ("kita-05", "買い物", "近くの商店が閉まり、食料品を買える店が歩いて行ける範囲にない"),
    ("kita-04", "ゴミ出し", "ゴミ集積所が坂の下にあり、冬場のゴミ出しがつらい"),
    ("kita-03", "見守り", "一人暮らしの世帯が増え、急に具合が悪くなっても気づかれないのが心配"),
    ("kita-02", "居場所", "冬の間、家にこもりがちになる。気軽に集まれる場所がほしい"),
    ("nishi-05", "移動支援", "駅やスーパーへの足がない。免許を返納したあとが不安"),
    ("nishi-04", "食事", "一人で食べる食事はさみしい。みんなで食べる機会がほしい"),
    ("nishi-01", "見守り", "大雨のとき、川沿いに住む高齢者に声をかけ合う仕組みがほしい"),
    ("minami-05", "買い物", "重い物を買って帰るのが大変。移動販売が来てくれたら助かる"),
    ("minami-04", "居場所", "男性が気軽に立ち寄れる場所が少ない"),
    ("minami-02", "ゴミ出し", "分別が難しく、ゴミ出しの日を間違えてしまう人がいる"),
    ("higashi-05", "移動支援", "公民館の行事に行きたいが、送り迎えがないと行けない"),
    ("higashi-04", "見守り", "日中独居の高齢者が多い。昼間の見守りがほしい"),
    ("higashi-01", "食事", "子ども食堂のような、高齢者も一緒に食べられる場がほしい"),
    ("chuo-06", "居場所", "商店街の空き店舗を使って、だれでも寄れる場所をつくれないか"),
    ("chuo-04", "買い物", "駅前のスーパーが閉店し、買い物が不便になった"),
    ("chuo-02", "見守り", "マンションが増え、隣にだれが住んでいるかわからない"),
    ("chuo-01", "ゴミ出し", "足が悪く、ゴミ出しを手伝ってくれる人を探している"),
    ("nishi-02", "居場所", "休止したサロンを再開したいが、世話役がいない"),
    ("kita-01", "食事", "配食サービスはあるが、たまにはみんなで温かいものを食べたい"),
]


def write_insight(out: Path, geo: Geography) -> None:
    lines = ["area_id,population,aged_65"]
    for did, _, _, _ in geo.districts:
        nbs = [nb for nb in geo.neighbourhoods if nb.district == did]
        lines.append(f"{did},{sum(nb.population for nb in nbs)},{sum(nb.aged for nb in nbs)}")
    for nb in geo.neighbourhoods:
        lines.append(f"{nb.nb_id},{nb.population},{nb.aged}")
    (out / "data" / "population.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = {nb.nb_id for nb in geo.neighbourhoods}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["area_id", "kind", "text"])
    for area, kind, text in NEEDS:
        assert area in ids, area
        w.writerow([area, kind, text])
    (out / "data" / "needs.csv").write_text(buf.getvalue(), encoding="utf-8")


def write_readme(
    out: Path,
    geo: Geography,
    rows: dict[int, Record],
    records: list[Record],
    csv_rows: list[dict],
    photos: list[tuple[str, dict]],
) -> None:
    kinds: dict[str, int] = {}
    for r in records:
        kinds[r.venue.kind] = kinds.get(r.venue.kind, 0) + 1
    withheld = sum(1 for r in records if r.cells.get("掲載可否") in ("不可", "×"))
    unconfirmed = sum(1 for r in records if r.cells.get("掲載可否") in ("", "確認中", None))
    paused = sum(1 for r in records if r.cells.get("状況") in ("休止中", "休止"))
    ended = sum(1 for r in records if r.cells.get("状況") == "終了")
    with_xy = sum(1 for r in records if "緯度" in r.cells)
    no_number = sum(1 for r in records if r.cells.get("No.") is None)
    broken = [(row, r) for row, r in rows.items() if r.broken]
    nb_list = "、".join(f"{nb.name}（{nb.nb_id}）" for nb in geo.neighbourhoods)
    exif_lines = []
    for rel, spec in photos:
        if spec:
            what = []
            if spec.get("gps"):
                what.append("GPS位置")
            if spec.get("serial"):
                what.append("カメラのシリアル番号")
            if spec.get("orientation"):
                what.append("Orientation=6（横向きに保存、表示時に90°回転）")
            exif_lines.append(f"- `{rel}`: " + "・".join(what))

    def why(row: int, r: Record) -> str:
        if "重複" in r.broken:
            first = min(k for k, o in rows.items() if o is not r and o.cells.get("No.") == r.cells.get("No."))
            return f"{r.broken}（{first}行目と同じNo. / same No. as row {first}）"
        return r.broken

    broken_lines = [
        f"| {row} | {r.cells.get('No.') if r.cells.get('No.') is not None else '（空欄）'} | "
        f"{r.cells.get('名称') or '（空欄）'} | {why(row, r)} |"
        for row, r in sorted(broken)
    ]
    text = f"""# デモデータ: たから市（架空のまち） / Demo data: たから市, a fictional town

**たから市は実在しません。** 境界・住所・町名・団体・人物・電話番号・写真はすべて
`scripts/make_demo.py` が乱数（固定シード {SEED}）で作ったものです。実在のデータ（`../shared/data` を含む）は
一切使っていません。電話番号はすべて `0866-00-XXXX`（日本では使われない局番 00）です。
位置は岡山県の山あい（中心 {CENTRE_LONLAT[1]}°N, {CENTRE_LONLAT[0]}°E 付近）に置いていますが、架空です。

Everything here is invented by `scripts/make_demo.py` (seeded; re-running gives byte-identical files:
`python scripts/make_demo.py --check`). Do not edit these files by hand: change the script and re-run it.

## Files

| file | what |
|---|---|
| `boundaries/city.geojson` | 第1層: the city outline, 1 feature; `code` = `{CITY_CODE}` (not a real municipality code), `name` = たから市. EPSG:4326 |
| `boundaries/junior_high.geojson` | 第2層: {len(geo.districts)} junior-high districts (`district_id`, `district_name`), tiling the city exactly. EPSG:4326 |
| `boundaries/neighbourhoods.gpkg` | 第3層: {len(geo.neighbourhoods)} 自治会・町内会 areas (`nb_id`, `nb_name`), each inside one district, layer `neighbourhoods`, stored in **EPSG:6673** (JGD2011 / 平面直角座標系 V系, metres) so the reader must reproject |
| `gazetteer/ja.json`, `gazetteer/ja/岡山県/たから市.json` | {len(geo.towns)} towns (町丁・大字) with a representative point each, in the layout `normalize-japanese-addresses` reads (`endpoint='file:///…/gazetteer/ja'`) |
| `records/kayoinoba.xlsx` | the coordinators' list: sheet 「通いの場一覧」 ({len(records)} rows; title in row 1, blank row 2, headers in row 3, blank rows inside the table, ※ notes below it) and an explanation sheet 「記入例・説明」 placed first |
| `records/extra.csv` | a second source: the volunteer centre's list, {len(csv_rows)} rows, **CP932 (Shift_JIS)**, CRLF, English headers (`name, category, …, notes`; `notes` is not a Takara Map field) |
| `photos/*.jpg` | {len(photos)} drawn illustrations (Pillow), referenced from the 写真 column as `photos/NN-category.jpg` |
| `population.csv` | `area_id,population,aged_65` for each district and each neighbourhood (invented) |
| `needs.csv` | `area_id,kind,text`: {len(NEEDS)} needs voiced in council meetings, by neighbourhood; kind is one of 移動支援・ゴミ出し・見守り・居場所・買い物・食事, and one 通院付き添い that no category answers yet |

Neighbourhoods: {nb_list}.

## What the list contains (kayoinoba.xlsx)

- Every category (8) and venue kind: {", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))}.
  A 自宅 (home) venue's address and point must never be published.
- {with_xy} rows give 緯度/経度; the rest must be geocoded from 所在地, written with and without 岡山県,
  in full-width digits (`本町２丁目３－５`), in kanji (`本町二丁目三番五号`), with or without 大字, some followed by the venue name.
- 開催日時 as coordinators write it (`毎週水曜日 10:00～12:00`, `第2・第4火曜日 13時30分～15時`, `毎朝6時30分から`,
  `週2回（月・木）9時半～11時（8月休み）`, `不定期`, `要問合せ` …); about 5 % are free text nobody could parse
  (`田植えが終わったら`, `お天気次第` …); some typed in full-width.
- 掲載可否: {withheld} rows 不可/× (withheld; some have a story, a photo or a home address that must not leak),
  {unconfirmed} rows blank or 確認中 (consent not confirmed). Several rows have a phone with 連絡先掲載 = 不可/×/blank.
- 状況: {paused} paused (休止中/休止), {ended} ended (終了).
- 最終確認日 mixes real Excel dates (some in 和暦 display format) with text: `令和6年7月22日`, `R5.2.5`, `H31.4.1`,
  `2023/2/6`, `2026年9月3日`, ISO dates; many are more than 12 months before the edition date {EDITION.isoformat()} (stale).
- No.: {no_number} rows leave it blank (the build assigns a number); a few numbers are skipped (removed rows).
- 紹介文 (stories) on {sum(1 for r in records if r.cells.get("紹介文"))} rows; 写真 on {sum(1 for r in records if r.cells.get("写真"))} rows, a few with 写真掲載 = 不可.

## Deliberately broken rows

These rows are wrong on purpose. A build must report each of them, naming file, row and column;
none of them may silently appear on the map in the wrong place. Row = the row number Excel shows.

| row | No. | 名称 | what is wrong |
|---|---|---|---|
{chr(10).join(broken_lines)}

- The swapped row's 緯度 holds a longitude (≈133.6) and 経度 a latitude (≈34.9): it should be detected as a swap
  and reported (and may be corrected, with a warning), not dropped silently.
- The point outside the city has no address to fall back on.
- みどり台 is not a town of たから市 (not in the gazetteer) and the address has no city: it geocodes nowhere.

## Photos with EXIF (hostile input)

Photos must be published without their metadata. These carry EXIF on purpose:

{chr(10).join(exif_lines)}

`photos/01-*.jpg` belongs to a salon held in a private home: its GPS tag is the home's exact position.
"""
    (out / "data" / "README.md").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
def make_demo(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    geo = make_geography(random.Random(f"{SEED}-geography"))
    write_boundaries(out, geo)
    write_gazetteer(out, geo)
    rng = random.Random(f"{SEED}-records")
    venues = Venues(random.Random(f"{SEED}-venues"), geo)
    records = make_records(rng, geo, venues)
    add_broken_rows(rng, records, venues, geo)
    number_rows(rng, records)
    rows = write_xlsx(out, random.Random(f"{SEED}-xlsx"), records)
    taken = {r.name: True for r in records}
    csv_rows = write_extra_csv(out, random.Random(f"{SEED}-csv"), venues, geo, taken)
    photos = write_photos(out, random.Random(f"{SEED}-photos"), records)
    write_overlays(out, random.Random(f"{SEED}-overlays"), geo, venues)
    write_layer_config(out)
    write_insight(out, geo)
    (out / "takara.toml").write_text(TAKARA_TOML, encoding="utf-8")
    write_readme(out, geo, rows, records, csv_rows, photos)
    make_dialect_workbook(out)  # the second workbook, and its section of data/README.md


def make_dialect_workbook(out: Path) -> None:
    """scripts/make_dialect_workbook.py, run from here so data/README.md always keeps its section."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_dialect_workbook", Path(__file__).with_name("make_dialect_workbook.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make(out)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--out", type=Path, default=ROOT, help="project folder to write (default: the repository root)"
    )
    ap.add_argument(
        "--check", action="store_true", help="build twice in temporary folders and compare the bytes"
    )
    args = ap.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            make_demo(Path(a))
            make_demo(Path(b))
            da, db = _digest(Path(a)), _digest(Path(b))
            differ = sorted(k for k in da.keys() | db.keys() if da.get(k) != db.get(k))
            if differ:
                print("not deterministic:", *differ, sep="\n  ")
                return 1
            print(f"deterministic: {len(da)} files identical on two runs")
        return 0
    make_demo(args.out)
    print(f"demo written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
