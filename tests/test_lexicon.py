import gzip
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from rag import Settings
from rag.arabic import lemma_stem
from rag.glosses import SenseIndex
from rag.lexicon import (
    BilingualLexicon,
    LexiconError,
    LexiconLoader,
    arabic_terms,
    english_base_forms,
    english_stop_words,
    load_lexicon,
)
from rag.term_matching import group_matches

BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ENTRIES = {
    "Red": "أحمر",
    "Line": "الخطّ",
    "Missile": "الصاروخ",
    "Meetings": "الاجتماعات",
    "Talks": "المحادثات",
    "Russia": "روسيا",
    "America": "أمريكا",
    "Wigg": "نوع من الخبز",
    "Red line": "خط أحمر",
    "S": "أس - الحرف التاسع عشر في اللغة",
}


def _encode(number: int) -> str:
    digits = ""
    while True:
        number, remainder = divmod(number, 64)
        digits = BASE64[remainder] + digits
        if number == 0:
            return digits


def write_dictd(folder: Path, entries: dict[str, str]) -> Path:
    """A dictionary in dictd format, laid out as FreeDict's: a header entry, then one entry a headword."""
    data, index = b"", []
    for headword, body in {"00databaseinfo": "header", **entries}.items():
        entry = f"{headword} /x/\n{body}\n".encode()
        index.append(f"{headword}\t{_encode(len(data))}\t{_encode(len(entry))}")
        data += entry
    prefix = folder / "freedict-eng-ara"
    prefix.with_name(prefix.name + ".dict.dz").write_bytes(gzip.compress(data))
    prefix.with_name(prefix.name + ".index").write_text("\n".join(index) + "\n", encoding="utf-8")
    return prefix


@pytest.fixture()
def lexicon(tmp_path: Path) -> BilingualLexicon:
    loaded = load_lexicon(write_dictd(tmp_path, ENTRIES))
    assert loaded is not None
    return loaded


def test_entries_decode_to_normalized_arabic_without_the_article(lexicon: BilingualLexicon):
    assert lexicon.translations("red") == ("احمر",)
    assert lexicon.translations("line") == ("خط",)
    assert lexicon.translations("missile") == ("صاروخ",)
    assert lexicon.translations("unknown") == ()


def test_a_place_name_also_matches_its_relative_adjective(lexicon: BilingualLexicon):
    assert lexicon.translations("russia") == ("روسي",)
    assert lexicon.translations("america") == ("امريكا", "امريكي")
    (russia,) = lexicon.term_groups("What did Russia say?")
    (america,) = lexicon.term_groups("What did America say?")
    assert group_matches(russia, "أكد نائب وزير الخارجية الروسي") and group_matches(russia, "روسيا")
    assert group_matches(america, "الخارجية الأمريكية") and group_matches(america, "أمريكا")


def test_definitions_and_particles_are_not_terms(lexicon: BilingualLexicon):
    assert lexicon.translations("s") == ()
    assert lexicon.translations("wigg") == ()  # "نوع من الخبز" is three words: a definition


def test_question_terms_skip_stop_and_framing_words_and_prefer_phrases(lexicon: BilingualLexicon):
    groups = lexicon.term_groups("What is Russia's red line, according to the articles?")
    assert groups == [frozenset({"روسي"}), frozenset({"خط", "احمر"})]
    assert lexicon.term_groups("What did they say about the missiles and talks?") == [
        frozenset({"صاروخ"}),
        frozenset({"محادث"}),
    ]
    assert lexicon.term_groups("Is it?") == []


def test_the_arabic_gloss_keeps_question_words_phrases_names_and_unknown_words_in_order(
    lexicon: BilingualLexicon,
):
    spellings = {"Russia": "روسيا"}
    assert lexicon.arabic_gloss("What is Russia's red line?", spellings.get) == "ما روسيا خط أحمر"
    assert lexicon.arabic_gloss("How many missiles did they say?") == "كم الصاروخ"
    assert lexicon.arabic_gloss("When did the talks start in 2021?") == "متى المحادثات start 2021"
    assert lexicon.arabic_gloss("Is it?") == ""


#: Buckwalter-style stems (``rag.glosses``): the senses FreeDict's one translation a headword lacks.
SENSES = [
    "Eqd\tEaqad\tPV\thold;convene;conclude\n",
    "Eqd\tEoqid\tIV\thold;convene;conclude\n",
    "jrY\tjaraY\tPV_0\toccur;happen;take place\n",
    "kyf\tkayof\tFW\thow much\n",
    "Hml\tHamol\tNall\tcarrying;holding\n",
    "AHmrAr\t{iHomirAr\tN\tredness;red\n",
]


def test_senses_join_the_dictionarys_translations(lexicon: BilingualLexicon):
    with_senses = replace(lexicon, senses=SenseIndex.read(SENSES), max_sense_place=1)
    (held,) = with_senses.term_groups("Where will the meetings be held?")[1:]
    assert "ستعقد" in held and group_matches(held, "الاجتماعات ستعقد في جنيف")
    assert with_senses.lookup("held") == with_senses.lookup("holds")  # both inflections of "hold"
    assert with_senses.lookup("talks") == ("محادث",)  # no sense of its own: the dictionary's alone
    assert with_senses.lookup("red") == ("احمر", "احمرار")  # the dictionary's, then the second sense's
    assert lexicon.lookup("red") == ("احمر",)
    assert with_senses.phrase_terms("took place") == ()  # "take place" is the third sense of «جرى»
    assert with_senses.term_groups("How much did it hold?") == [frozenset(with_senses.lookup("hold"))]
    assert lexicon.lookup("held") == ()  # without the senses, as before


def test_english_base_forms_cover_regular_inflections():
    assert "missile" in english_base_forms("missiles")
    assert "country" in english_base_forms("countries")
    assert "offer" in english_base_forms("offered")
    assert "talk" in english_base_forms("talking")
    assert english_base_forms("press") == ["press"]


def test_arabic_terms_drop_feminine_plural_endings_only_when_a_stem_remains():
    assert lemma_stem("اجتماعات") == "اجتماع"
    assert lemma_stem("محادثه") == "محادث"
    assert lemma_stem("كانون") == "كانون"
    assert lemma_stem("ات") == "ات"
    assert arabic_terms(["الاجتماعات", "English words", "في"]) == ("اجتماع",)


def test_missing_dictionary_warns_and_returns_none(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        assert load_lexicon(tmp_path / "absent") is None
    assert "dict-freedict-eng-ara" in caplog.text


def test_corrupt_dictionary_warns_and_returns_none(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    prefix = write_dictd(tmp_path, ENTRIES)
    prefix.with_name(prefix.name + ".dict.dz").write_bytes(b"not gzip at all")
    with caplog.at_level(logging.WARNING):
        assert load_lexicon(prefix) is None
    assert "unusable" in caplog.text
    with pytest.raises(LexiconError):
        BilingualLexicon.read_dictd(
            prefix.with_name(prefix.name + ".index"), prefix.with_name(prefix.name + ".dict.dz")
        )


@pytest.mark.skipif(
    not LexiconLoader(Settings().lexicon_path).installed,
    reason="Debian's dict-freedict-eng-ara is not installed (scripts/setup.sh installs it as root; CI has it)",
)
def test_the_installed_dictionary_translates_news_words():
    installed = load_lexicon(Settings().lexicon_path)
    assert installed is not None
    groups = installed.term_groups("What is Russia's red line regarding Ukraine?")
    assert frozenset({"احمر"}) in groups and frozenset({"خط"}) in groups


@pytest.mark.skipif(
    not LexiconLoader(Settings().lexicon_path).installed,
    reason="Debian's dict-freedict-eng-ara is not installed (scripts/setup.sh installs it as root; CI has it)",
)
def test_auxiliary_verbs_bring_no_terms_though_the_dictionary_translates_them():
    installed = load_lexicon(Settings().lexicon_path)
    assert installed is not None and installed.lookup("did")
    plain = installed.term_groups("What Washington offer on missiles?")
    assert installed.term_groups("What did Washington offer on missiles?") == plain
    assert installed.term_groups("What does Washington offer on missiles?") == plain


def test_english_stop_words_are_scikit_learns_list():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert english_stop_words() == ENGLISH_STOP_WORDS


def test_the_loader_adds_the_senses_unless_told_not_to(tmp_path: Path):
    prefix = write_dictd(tmp_path, ENTRIES)
    with_senses = LexiconLoader(prefix, True, tmp_path / "cache", max_sense_place=1).get()
    assert with_senses is not None and with_senses.senses is not None and with_senses.max_sense_place == 1
    assert "ستعقد" in with_senses.lookup("held")
    alone = LexiconLoader(prefix, True, tmp_path / "cache", max_sense_place=-1).get()
    assert alone is not None and alone.senses is None and alone.lookup("held") == ()
