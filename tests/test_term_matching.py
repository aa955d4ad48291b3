import math

from rag import Engine
from rag.arabic import split_sentences, word_forms
from rag.articles import load_articles
from rag.term_matching import TermWeights, group_matches, matched_share, question_terms, text_forms
from tests.conftest import SEEDS


def test_word_forms_take_off_leading_clitics_but_keep_two_letters():
    assert word_forms("والخط") == {"والخط", "الخط", "خط"}
    assert word_forms("بها") == {"بها", "ها"}
    assert word_forms("ال") == {"ال"}


def test_terms_match_words_with_clitics_and_endings():
    assert group_matches(frozenset({"خط"}), "يعد خطا أحمر بالنسبة لها")
    assert group_matches(frozenset({"اجتماع"}), "هذه الاجتماعات")
    assert not group_matches(frozenset({"خط"}), "أحمر اللون")
    assert not group_matches(frozenset({"احمر"}), "الحمراء")


def test_a_term_inside_a_word_does_not_match_but_a_later_one_after_a_clitic_does():
    assert not group_matches(frozenset({"خط"}), "مخطط المدينة")
    assert group_matches(frozenset({"خط"}), "مخطط المدينة والخط الأحمر")
    assert group_matches(frozenset({"خط", "حمر"}), "(خطا) أحمر")


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


def test_a_place_name_in_a_question_matches_its_relative_adjective():
    weighted = [(group, 1.0) for group in question_terms("روسيا وأمريكا")]
    assert weighted == [(frozenset({"روسي"}), 1.0), (frozenset({"امريكا", "امريكي"}), 1.0)]
    assert matched_share(weighted, "قال المسؤول الروسي إن الخارجية الأمريكية") == 1.0
    assert matched_share(weighted, "روسيا وأمريكا") == 1.0


def test_text_search_agrees_with_the_word_forms_definition():
    articles = load_articles(SEEDS).articles
    sentences = [a.text[start:end] for a in articles for start, end in split_sentences(a.text)]
    terms = {form[:length] for s in sentences[::7] for form in text_forms(s) for length in (2, 3, 5)}
    checked = matched = 0
    for sentence in sentences[::3]:
        forms = text_forms(sentence)
        for term in sorted(terms)[::11]:
            expected = any(form.startswith(term) for form in forms)
            assert group_matches(frozenset({term}), sentence) == expected, (term, sentence)
            checked += 1
            matched += expected
    assert checked > 1000 and 0 < matched < checked


def test_updated_term_weights_equal_weights_built_from_the_resulting_sentences():
    sentences = ["ستعقد المحادثات في جنيف.", "العقوبات على روسيا.", "المحادثات مع روسيا صعبة."]
    added = ["عقوبات جديدة على قطاع الدفاع."]
    updated = TermWeights.build(sentences).updated(added, removed=[sentences[0]])
    assert updated == TermWeights.build([*sentences[1:], *added])


def test_pseudo_questions_gloss_english_questions_with_the_corpus_spelling_of_names(engine: Engine):
    finder = engine.components().composer.terms
    assert finder.pseudo_question("What did Ryabkov say?", "en") == "What did Ryabkov say? ما ريابكوف"
    assert finder.pseudo_question("What did Washington offer on missiles?", "en").endswith("واشنطن العرض الصواريخ")
    assert finder.pseudo_question("متى ستعقد المحادثات في جنيف؟", "ar") is None  # the articles' own language
