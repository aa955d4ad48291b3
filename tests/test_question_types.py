import pytest

from rag.question_types import answers_kind, numbers, question_type, sentence_kinds


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When will the talks take place?", "when"),
        ("In what year did ABC stop using the jingle?", "when"),
        ("How many points did the Broncos score?", "how_many"),
        ("Who lost to the Broncos?", "who"),
        ("Where was the assembly set up?", "where"),
        ("Why did Russia refuse?", "why"),
        ("What did Washington offer?", "other"),
        ("متى ستعقد المحادثات؟", "when"),
        ("في أي عام تأسست الشركة؟", "when"),
        ("كم عدد الجنود؟", "how_many"),
        ("من هو المتحدث باسم الكرملين؟", "who"),
        ("أين تعقد المحادثات؟", "where"),
        ("لماذا رفضت روسيا العرض؟", "why"),
        ("ماذا عرضت واشنطن؟", "other"),
        ("امتى رح تكون المحادثات؟", "when"),
        ("قديش عدد الجنود؟", "how_many"),
        ("مين المتحدث؟", "who"),
        ("وين صارت المحادثات؟", "where"),
        ("ليش رفضت روسيا؟", "why"),
        ("شو قال الرئيس؟", "other"),
        ("ما المساحة التي يغطيها الحوض؟", "how_many"),
        ("What amount of money was raised?", "how_many"),
        ("\u200fمن هو المتحدث باسم الكرملين؟", "who"),
        ("\u200f\u202bمتى ستعقد المحادثات؟\u202c", "when"),
    ],
)
def test_question_types_in_english_arabic_and_dialects(question: str, kind: str):
    assert question_type(question) == kind


def test_arabic_min_means_who_only_at_the_start():
    assert question_type("ماذا طلبت روسيا من الولايات المتحدة؟") == "other"


def test_sentences_hold_dates_numbers_and_reasons():
    assert sentence_kinds("ستعقد المحادثات في العاشر من يناير المقبل.")["date"]
    assert sentence_kinds("نشرت روسيا 100 ألف جندي.")["number"]
    assert sentence_kinds("رفضت موسكو العرض بسبب شروطه.")["cause"]
    assert not any(sentence_kinds("رحب الجميع بالاتفاق.").values())
    assert answers_kind("when", sentence_kinds("تأسست الشركة عام 1998."))
    assert not answers_kind("other", sentence_kinds("تأسست الشركة عام 1998."))


def test_numbers_read_arabic_indic_digits():
    assert numbers("بلغ العدد ١٢٥ ألفا في 2021") == {"125", "2021"}


def test_title_and_number_words_with_hamza_are_found_in_text():
    assert sentence_kinds("قال الرئيس الفرنسي ذلك")["person"]
    assert sentence_kinds("وصل قائد الجيش")["person"]
    assert sentence_kinds("شارك مئة جندي")["number"]
    assert not sentence_kinds("وصل الجيش")["person"]
