"""The compact jieba dictionary (marisa-trie, memory-mapped) must segment exactly as jieba's own dict."""

from __future__ import annotations

import jieba
import pytest

from community.routing import jieba_dict
from community.routing.corpus import load_offtopic, load_seed
from community.routing.text import _jieba, normalize

SAMPLE = [
    "",
    " ",
    "充电",
    "app",
    "ota 升级后 app 连不上车",
    "OTA升级后APP连不上车，蓝牙CarPlay连接断开！！！",
    "ＡＰＰ连不上，ＯＴＡ失败",
    "The charging port door won't open after the 2.3.1 update; tried 3 times at -5°C.",
    "续航从520km掉到380km，冬天开暖风更严重，电池衰减正常吗？",
    "我叫郭靖，住在杭州市西湖区文三路，车牌浙A12345，VIN LSVAU2A37N2183920。",
    "工信部指出，在大数据、云计算、人工智能等新一代信息技术快速发展的背景下，汽车产业正加速向智能化网联化转型。"
    "然而，车机系统频繁卡顿、语音助手识别率低、导航路线规划不合理等问题依然困扰着许多车主\n\n"
    "建议：1）优化内存管理；2）开放第三方应用；3）支持无线CarPlay与Android Auto。" * 3,
    "😡😡 退款!!! 客服电话400-800-1234 打了 N 次都没人接 ...",
    "電池續航很差，充電樁也不好找",  # traditional characters
    "ナビが固まる / 내비게이션 멈춤 / навигация зависает",
    "a+b#c&d.e_f%g-h 1.5L 2,000元 ５０％ ￥１９９",
    "\t中\u3000文\r\n混 合",
    "长江大桥南京市长江大桥结婚的和尚未结婚的研究生命起源",
]


@pytest.fixture(scope="module")
def reference() -> jieba.Tokenizer:
    """jieba with its own big dict, a tokenizer of its own (the global jieba.dt is left alone)."""
    jieba.setLogLevel(60)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


@pytest.fixture(scope="module")
def compact() -> jieba_dict.CompactTokenizer:
    return jieba_dict.tokenizer()


def test_same_tokens_as_jieba(reference, compact) -> None:
    texts = SAMPLE + [r.text for r in load_seed()] + load_offtopic()
    for text in texts:
        for variant in (text, normalize(text)):
            assert compact.lcut(variant) == reference.lcut(variant), variant
            assert compact.lcut(variant, HMM=False) == reference.lcut(variant, HMM=False), variant
            assert compact.lcut_for_search(variant) == reference.lcut_for_search(variant), variant


def test_same_suggested_frequencies(reference, compact) -> None:
    """suggest_freq reads FREQ.get(word, 1) and the total: prefixes (0) and unknown words (1) must differ."""
    assert compact.total == reference.total
    for segment in ["长江大桥", ("南京", "市长"), "卡顿", ("车", "机"), ("蓝牙", "断开"), "郭靖"]:
        assert compact.suggest_freq(segment) == reference.suggest_freq(segment), segment


def test_mapping_agrees_with_jiebas_dict(reference, compact) -> None:
    freq = compact.FREQ
    keys = list(reference.FREQ)[::97]  # ~5k words and prefixes
    for key in keys:
        assert key in freq and freq[key] == reference.FREQ[key] and freq.get(key, -1) == reference.FREQ[key]
    assert any(reference.FREQ[k] == 0 for k in keys)  # prefixes-only were among them
    for missing in ["", "zzzz", "车机系统频繁卡顿", "\x00"]:
        assert missing not in freq and freq.get(missing) is None and freq.get(missing, 1) == 1
        with pytest.raises(KeyError):
            freq[missing]
    with pytest.raises(TypeError):
        freq["新词"] = 5
    with pytest.raises(TypeError):
        compact.add_word("新词")


def test_build_from_a_dictionary(tmp_path) -> None:
    """Duplicates keep the last frequency (jieba's total counts both); a word at frequency 0 that no other
    word extends is still a key; prefixes are 0; the build lands atomically and is not redone."""
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("长江 10 ns\n长江大桥 5 ns\n大桥 3\n长江 7 ns\n孤词 0 n\nab 2\n", encoding="utf-8")
    with dictionary.open("rb") as f:
        expected, total = jieba.Tokenizer.gen_pfdict(f)
    target = jieba_dict.cache_dir(dictionary, root=tmp_path / "cache")
    assert jieba_dict.ensure(target, dictionary) == target
    built = (target / "words.marisa").stat().st_mtime_ns
    assert jieba_dict.ensure(target, dictionary) == target
    assert (target / "words.marisa").stat().st_mtime_ns == built
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name, target.name + ".lock"]  # no staging
    freq, loaded_total = jieba_dict.load(target)
    assert loaded_total == total == 27
    assert {k: freq[k] for k in expected} == expected
    assert expected["长江"] == 7 and expected["孤词"] == 0 and "孤" in freq and "长江大" in freq
    assert "江" not in freq and freq.get("江") is None


def test_bad_dictionary_fails_the_build(tmp_path) -> None:
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("长江 ten\n", encoding="utf-8")
    with pytest.raises(Exception, match="returned non-zero"):
        jieba_dict.ensure(tmp_path / "out", dictionary)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dict.txt", "out.lock"]  # no staging left behind


def test_falls_back_to_plain_jieba(monkeypatch, caplog) -> None:
    def broken(*args, **kwargs):
        raise OSError("read-only temp directory")

    monkeypatch.setattr(jieba_dict, "tokenizer", broken)
    tok = _jieba.__wrapped__()
    assert tok is jieba.dt and tok.initialized
    assert "compact jieba dictionary unavailable" in caplog.text
    assert tok.lcut("ota 升级后 app 连不上车") == _jieba().lcut("ota 升级后 app 连不上车")


def test_workers_starting_together_build_once(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("长江 10\n大桥 3\n", encoding="utf-8")
    target = tmp_path / "cache" / "d"
    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(lambda _: jieba_dict.ensure(target, dictionary), range(3))) == [target] * 3
    assert sorted(p.name for p in target.parent.iterdir()) == ["d", "d.lock"]
    assert jieba_dict.load(target)[0]["长江"] == 10
