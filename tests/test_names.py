from rag.arabic import words
from rag.names import NameIndex, arabic_skeleton, english_skeleton, question_names

ARTICLE = (
    "خسر فريق بيتسبرغ ستيلرز أمام البرونكوس، وقال المتحدث باسم الكرملين دميتري بيسكوف إن تسلا "
    "ستفتح مصنعا في كاليفورنيا، ولا اتصال بين الأمرين."
)
NAMES = NameIndex.build(words(ARTICLE))


def test_a_name_and_its_transliteration_share_a_skeleton():
    assert english_skeleton("Pittsburgh") == arabic_skeleton("بيتسبرغ")
    assert english_skeleton("Peskov") == arabic_skeleton("بيسكوف")
    assert english_skeleton("John") == arabic_skeleton("جون")  # a silent h


def test_names_are_capitalized_words_and_acronyms_not_the_opening_word():
    assert question_names("Who did the Broncos beat in Pittsburgh?") == ["Broncos", "Pittsburgh"]
    assert question_names("NATO said what about the START treaty?") == ["NATO", "START"]
    assert question_names("What did the spokesman say?") == []


def test_english_names_find_their_arabic_spellings_with_clitics_taken_off():
    groups = NAMES.term_groups("What did Peskov say about the Broncos and California?")
    assert {"بيسكوف"} in groups
    assert any("برونكوس" in group for group in groups)
    assert any("كاليفورنيا" in group for group in groups)


def test_a_name_does_not_match_a_word_that_only_shares_its_consonants_after_a_vowel():
    (tesla,) = NAMES.term_groups("Where will Tesla open a factory?")
    assert "تسلا" in tesla and "اتصال" not in tesla


def test_names_the_articles_never_spell_find_nothing():
    assert NAMES.term_groups("What did Macron say in Brussels?") == []
