import math

from rag.term_matching import TermWeights, group_matches, matched_share, question_terms, text_forms, word_forms


def test_word_forms_take_off_leading_clitics_but_keep_two_letters():
    assert word_forms("والخط") == {"والخط", "الخط", "خط"}
    assert word_forms("بها") == {"بها", "ها"}
    assert word_forms("ال") == {"ال"}


def test_terms_match_words_with_clitics_and_endings():
    assert group_matches({"خط"}, text_forms("يعد خطا أحمر بالنسبة لها"))
    assert group_matches({"اجتماع"}, text_forms("هذه الاجتماعات"))
    assert not group_matches({"خط"}, text_forms("أحمر اللون"))
    assert not group_matches({"احمر"}, text_forms("الحمراء"))


def test_rare_terms_weigh_more_than_common_ones():
    sentences = ["روسيا وأوكرانيا", "روسيا تهدد", "روسيا والناتو", "خط أحمر لروسيا"]
    weights = TermWeights.build(sentences)
    assert weights.sentence_count == 4
    assert weights.idf({"روسيا"}) == math.log(5 / 5)
    assert weights.idf({"احمر"}) == math.log(5 / 2)
    assert weights.idf({"غايب"}) == math.log(5 / 1)


def test_matched_share_is_the_weighted_share_of_groups_found():
    weighted = [(frozenset({"روسيا"}), 1.0), (frozenset({"احمر"}), 3.0)]
    assert matched_share(weighted, "خط أحمر لروسيا") == 1.0
    assert matched_share(weighted, "روسيا تهدد") == 0.25
    assert matched_share(weighted, "لا شيء") == 0.0
    assert matched_share([(frozenset({"روسيا"}), 0.0)], "روسيا") == 0.0


def test_question_terms_are_bare_stems_of_the_question_words():
    terms = question_terms("ماذا قال المسؤول عن تصريحاته بشأن الصواريخ في جنيف؟")
    assert frozenset({"تصريحات"}) in terms  # one ending (the pronoun) is taken off
    assert frozenset({"صواريخ"}) in terms
    assert frozenset({"جنيف"}) in terms
    assert frozenset({"في"}) not in terms  # particles are too short to be terms
    assert len(terms) == len(set(terms))


def test_question_terms_match_other_forms_of_the_same_word():
    weighted = [(group, 1.0) for group in question_terms("ما هي الاجتماعات المقبلة؟")]
    assert matched_share(weighted, "سيعقد اجتماع ثان") > 0
    assert question_terms("What missiles?") == [frozenset({"what"}), frozenset({"missiles"})]
