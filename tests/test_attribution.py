"""Attribution questions and the speakers of sentences (rag/attribution.py), on the seed articles."""

import pytest

from rag import Engine
from rag.attribution import AskedSpeaker, asked_speaker, speaker_spans
from rag.conversation import resolve

#: Sentences of seeds/004: the American spokesman's, Ryabkov's and Lavrov's words on the same talks.
SPOKESMAN = (
    "فقد قال متحدث باسم مجلس الأمن القومي الأميركي -لوكالة الصحافة الفرنسية أمس الاثنين- إن المحادثات "
    "الأميركية الروسية ستعقد في العاشر من يناير/كانون الثاني المقبل."
)
RYABKOV = (
    "من جهته، أكد سيرغي ريابكوف، نائب وزير الخارجية الروسي، اليوم الثلاثاء أن المحادثات ستعقد في العاشر "
    "من الشهر المقبل في جنيف، وقال إنه لا يتوقع التوصل إلى اتفاق في يوم واحد."
)
LAVROV = (
    "وكان وزير الخارجية الروسي سيرغي لافروف قال أمس الاثنين إن المفاوضات بين موسكو وواشنطن وحلف الناتو "
    "ستجرى مباشرة بعد عطلة رأس السنة."
)


@pytest.fixture(scope="module")
def finder(engine: Engine):
    return engine.components().composer.terms


def test_the_speaker_is_read_after_a_verb_up_to_the_complementizer():
    assert speaker_spans(SPOKESMAN) == ("متحدث باسم مجلس الامن القومي الاميركي لوكاله الصحافه الفرنسيه امس الاثنين",)
    assert speaker_spans(RYABKOV)[0] == "سيرغي ريابكوف نايب وزير الخارجيه الروسي اليوم الثلاثاء"


def test_the_speaker_before_the_verb_counts_after_kana_a_complementizer_or_with_a_plural_verb():
    assert speaker_spans(LAVROV) == ("وزير الخارجيه الروسي سيرغي لافروف امس الاثنين",)
    assert speaker_spans("نقلت وكالة رويترز عن مصادر قولها إن موسكو تؤكد ضرورة المشاركة.")[1].startswith("موسكو")
    assert speaker_spans("لكن الولايات المتحدة وحلفاءها رفضوا إعطاء أي ضمانات لروسيا.") == (
        "لكن الولايات المتحده وحلفاءها",
    )
    # A singular verb in the middle of a clause has its subject after it, not the words before it.
    assert speaker_spans("وفي موسكو أكد المتحدث الأميركي أن المحادثات ستعقد.") == ("المتحدث الاميركي",)


def test_without_a_complementizer_the_words_right_after_the_verb_name_the_speaker():
    sentence = "أعلن مسؤول كبير بالبيت الأبيض أمس السبت استعداد الولايات المتحدة للتباحث مع روسيا."
    assert speaker_spans(sentence) == ("مسوول كبير بالبيت الابيض",)
    assert speaker_spans("وبحسب شبكة بوليتيكو الأميركية، فإن الرسائل أدت إلى ردات فعل.") == ("شبكه بوليتيكو الاميركيه",)
    assert speaker_spans("وقدمت روسيا بالفعل مقترحات بشأن الضمانات الأمنية.") == ()


@pytest.mark.parametrize(
    ("question", "language", "speaker"),
    [
        ("What did Russia say about that?", "en", "روسيا"),
        ("How did Moscow respond to the proposals?", "en", "موسكو"),
        ("What is the Kremlin's position on NATO?", "en", "الكرملين"),
        ("According to the US, when will the talks be held?", "en", "واشنطن"),
        ("ماذا قالت روسيا عن المحادثات؟", "ar", "الروسي"),
        ("بماذا صرح الكرملين؟", "ar", "موسكو"),
        ("ما الذي أكدته موسكو بشأن الموعد؟", "ar", "روسيا"),
        ("ما موقف الولايات المتحدة من المقترحات؟", "ar", "الأميركية"),
        ("شو قالت واشنطن؟", "ar", "أمريكا"),
        ("ايش قال لافروف؟", "ar", "لافروف"),
    ],
)
def test_the_asked_speaker_matches_its_country_by_name_adjective_capital_and_seat(finder, question, language, speaker):
    asked = asked_speaker(finder, question, language)
    assert asked is not None
    assert asked.speaks(f"وقال {speaker} إن المحادثات ستعقد.")
    assert not asked.speaks(f"وقال مسؤول بريطاني إن {speaker} ستشارك في المحادثات.")


def test_only_the_speakers_words_count_not_what_is_said(finder):
    russia = asked_speaker(finder, "What did Russia say about that?", "en")
    assert not russia.speaks(SPOKESMAN)  # «الروسية» is in what the American spokesman says
    assert russia.speaks(RYABKOV) and russia.speaks(LAVROV)
    america = asked_speaker(finder, "ماذا قالت الولايات المتحدة؟", "ar")
    assert america.speaks(SPOKESMAN) and not america.speaks(RYABKOV)


def test_a_described_speaker_needs_every_word_of_the_description(finder):
    minister = asked_speaker(finder, "What did the Russian foreign minister say?", "en")
    assert minister.speaks(LAVROV)
    assert not minister.speaks("وقال وزير الخارجية الأميركي إن روسيا ستشارك.")


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("When will the talks take place?", "en"),
        ("What did he say?", "en"),
        ("What is Russia's red line regarding Ukraine?", "en"),
        ("متى ستعقد المحادثات؟", "ar"),
        ("ما هو الخط الأحمر لروسيا؟", "ar"),
        ("According to the article, when will the talks start?", "en"),
    ],
)
def test_questions_that_ask_nobodys_words_have_no_speaker(finder, question, language):
    assert asked_speaker(finder, question, language) is None


def test_a_follow_up_takes_its_speaker_from_its_own_words(engine: Engine):
    history = ["When will the US-Russia talks in Geneva take place?"]
    answer = engine.ask("What did Russia say about that?", history=history)
    assert answer.resolved_question == resolve("What did Russia say about that?", history).text
    russia = asked_speaker(engine.components().composer.terms, "What did Russia say about that?", "en")
    assert isinstance(russia, AskedSpeaker)
    assert russia.speaks(answer.quotes[0].text)  # Ryabkov's words, not the American spokesman's
