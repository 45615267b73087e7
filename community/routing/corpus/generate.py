"""Generate the seed corpus from the hand-written frames in ``frames.py``.

Each frame is used about twice, filled from the slot lists and wrapped in a greeting or a closing
remark, so that phrasing varies while staying believable. Output (UTF-8 CSV, fixed seed, so
re-running reproduces the committed files byte for byte):

- ``feedback_seed.csv``: columns ``text,team,lang`` with ``lang`` in {zh, en, mixed};
  ``PER_TEAM`` rows per team (about 2/3 Chinese or mixed, 1/3 English): 1,512 rows.
- ``feedback_offtopic.csv``: columns ``text,lang``: text that fits no team (threshold validation only).

Usage: ``python -m community.routing.corpus.generate [--out DIR]`` (default: the repository's ``data/``).
"""

from __future__ import annotations

import argparse
import csv
import random
import string
import unicodedata
from pathlib import Path

from community.routing.corpus import SEED_FEEDBACK, SEED_OFFTOPIC
from community.routing.corpus.frames import FRAMES, OFFTOPIC, SLOTS_EN, SLOTS_ZH
from community.routing.teams import TEAMS

SEED = 20240914  # the Lijiang council session, 14 Sep
#: Rows per team and language; zh + mixed is 2/3 of the total.
PER_TEAM = {"zh": 94, "mixed": 22, "en": 52}

_PREFIX_ZH = ["", "", "", "你好，", "您好，", "客服你好，", "我是{city}的{model}车主，", "{model}车主反馈：",
              "反馈一个问题：", "老车主说两句，", "再次反馈，"]
_SUFFIX_ZH = ["", "。", "！", "！！", "，希望尽快处理。", "，请给个说法。", "，麻烦安排人联系我。", "，体验很差。",
              "，太失望了。", "，已经不是第一次了。", "😡", "🙏"]
_QSUFFIX_ZH = ["", "", "急", "谢谢", "在线等", "🙏"]
_PRAISE_SUFFIX_ZH = ["", "。", "！", "👍"]

_PREFIX_EN = ["", "", "", "Hi, ", "Hello, ", "Hi team, ", "Feedback: ", "{model} owner here. ",
              "{model} owner from {city}: ", "Second time reporting this: ", "Not happy. "]
_SUFFIX_EN = ["", ".", "!", ". Please fix this.", ". Please call me back.", ". Really disappointing.",
              ". This is the second time.", " 😡", ". Any update?"]
_QSUFFIX_EN = ["", "", " Thanks.", " Urgent please."]
_PRAISE_SUFFIX_EN = ["", ".", "!", " 👍"]

_PRAISE = ("谢谢", "点赞", "专业", "thank", "great job")
_NEGATIVE_PREFIXES = {"Not happy. ", "Second time reporting this: ", "再次反馈，"}


def _fill(template: str, slots: dict[str, list[str]], rng: random.Random) -> str:
    """Replace every ``{name}`` once per name, so a prefix and its frame share the same model/city."""
    # dict, not set: draws must follow the text's order, not the per-process string hash order.
    names = dict.fromkeys(field for _, field, _, _ in string.Formatter().parse(template) if field)
    return template.format(**{name: rng.choice(slots[name]) for name in names})


def _join_en(prefix: str, frame: str) -> str:
    """After "Hi, " the frame continues the sentence: lower its first letter unless it is "I" or an acronym."""
    first = frame.split()[0]
    if prefix.endswith(", ") and not (first.isupper() or first.startswith("I'") or first == "I"):
        frame = frame[0].lower() + frame[1:]
    return prefix + frame


def _decorate(frame: str, lang: str, rng: random.Random) -> str:
    """Wrap a frame in a greeting and a closing remark that suit its language and tone."""
    praise = any(word in frame.lower() for word in _PRAISE)
    question = frame.endswith(("?", "？"))
    if lang == "en":
        prefixes, suffixes = _PREFIX_EN, _PRAISE_SUFFIX_EN if praise else _QSUFFIX_EN if question else _SUFFIX_EN
    else:
        prefixes, suffixes = _PREFIX_ZH, _PRAISE_SUFFIX_ZH if praise else _QSUFFIX_ZH if question else _SUFFIX_ZH
    prefix = rng.choice([p for p in prefixes if not (praise and p in _NEGATIVE_PREFIXES)])
    text = _join_en(prefix, frame) if lang == "en" else prefix + frame
    return text + rng.choice(suffixes)


def dedupe_key(text: str) -> str:
    """What makes two rows the same text: case and trailing punctuation/emoji do not count.

    Rows differing only there would sit on both sides of the train/test split.
    """
    text = text.casefold().strip()
    while text and unicodedata.category(text[-1])[0] not in "LN":
        text = text[:-1]
    return text


def generate_feedback(rng: random.Random) -> list[tuple[str, str, str]]:
    """Return ``(text, team, lang)`` rows: ``sum(PER_TEAM.values())`` distinct texts for each team."""
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for team in TEAMS:
        for lang, count in PER_TEAM.items():
            frames = FRAMES[team][lang]
            slots = SLOTS_EN if lang == "en" else SLOTS_ZH
            order = rng.sample(frames, len(frames))
            made = 0
            for attempt in range(count * 50):
                text = _fill(_decorate(order[attempt % len(order)], lang, rng), slots, rng)
                if dedupe_key(text) not in seen:
                    seen.add(dedupe_key(text))
                    rows.append((text, team, lang))
                    made += 1
                    if made == count:
                        break
            else:
                raise RuntimeError(f"could not make {count} distinct {lang} rows for {team}")
    return rows


def write_corpus(out_dir: Path) -> tuple[Path, Path]:
    """Write ``feedback_seed.csv`` and ``feedback_offtopic.csv`` into ``out_dir``; return their paths."""
    rng = random.Random(SEED)
    out_dir.mkdir(parents=True, exist_ok=True)
    feedback_path, offtopic_path = out_dir / SEED_FEEDBACK.name, out_dir / SEED_OFFTOPIC.name
    with feedback_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["text", "team", "lang"])
        writer.writerows(generate_feedback(rng))
    with offtopic_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["text", "lang"])
        writer.writerows((text, lang) for lang, texts in OFFTOPIC.items() for text in texts)
    return feedback_path, offtopic_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SEED_FEEDBACK.parent, help="output folder")
    args = parser.parse_args(argv)
    for path in write_corpus(args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
