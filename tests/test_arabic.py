from rag.arabic import detect_language, nisba_forms, normalize, split_sentences, words


def test_normalize_follows_the_pass_rule():
    assert normalize("أَحْمَـــد") == "احمد"
    assert normalize("إلى آخر مستشفى") == "الي اخر مستشفي"
    assert normalize("مدرسة مؤتمر رئيس") == "مدرسه موتمر رييس"
    assert normalize("  Hello\n  WORLD ") == "hello world"
    assert normalize("عام ٢٠١٥") == "عام 2015"


def test_detect_language():
    assert detect_language("متى ستعقد المحادثات في جنيف؟") == "ar"
    assert detect_language("What did Washington offer on missiles?") == "en"
    assert detect_language("What does «خطا أحمر» mean?") == "en"
    assert detect_language("ماذا قال Biden عن الصواريخ؟") == "ar"


def test_split_sentences_returns_exact_spans():
    text = "قال المسؤول إن المحادثات ستعقد. وأضاف: هل ستنجح؟ لا أحد يعرف!\nسطر جديد بلا نقطة"
    spans = split_sentences(text)
    pieces = [text[a:b] for a, b in spans]
    assert pieces == ["قال المسؤول إن المحادثات ستعقد.", "وأضاف: هل ستنجح؟", "لا أحد يعرف!", "سطر جديد بلا نقطة"]


def test_split_sentences_keeps_decimals_together():
    text = "The rate rose to 2.5 percent. Then it fell."
    assert [text[a:b] for a, b in split_sentences(text)] == ["The rate rose to 2.5 percent.", "Then it fell."]


def test_split_sentences_keeps_a_names_initial_inside_its_sentence():
    text = "ترأس راجيندرا ك. باتشوري الهيئة. وقال فريديريك و. موت ذلك. John C. Messenger met U.S. envoys. ك. ثم انتهى."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "ترأس راجيندرا ك. باتشوري الهيئة.",
        "وقال فريديريك و. موت ذلك.",
        "John C. Messenger met U.S. envoys.",
        "ك. ثم انتهى.",
    ]


def test_split_sentences_keeps_an_initial_spelled_in_arabic_inside_its_sentence():
    text = "اغتيل جون إف. كينيدي في دالاس. وقال ذلك لبي بي سي. ثم غادر."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "اغتيل جون إف. كينيدي في دالاس.",
        "وقال ذلك لبي بي سي.",
        "ثم غادر.",
    ]


def test_split_sentences_still_ends_a_sentence_after_a_word_with_tanween():
    text = "وصل عددهم إلى ألف تقريبًا. ثم غادروا."
    assert [text[a:b] for a, b in split_sentences(text)] == ["وصل عددهم إلى ألف تقريبًا.", "ثم غادروا."]


def test_words_are_normalized():
    assert words("الأمريكية، والروسية") == ["الامريكيه", "والروسيه"]


def test_a_place_name_ending_in_alif_also_gives_its_relative_adjective():
    assert nisba_forms("روسيا") == ("روسي",)  # a prefix of روسيا, الروسي and الروسيه alike
    assert nisba_forms("امريكا") == ("امريكا", "امريكي")
    assert nisba_forms("فرنسا") == ("فرنسا", "فرنسي")
    assert nisba_forms("ايران") == ("ايران",)  # already a prefix of ايراني
    assert nisba_forms("عليا") == ("عليا",)  # too short to be a place: «علي» would match «على»
    assert nisba_forms("كندا") == ("كندا",)
