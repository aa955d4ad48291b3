import pytest

from rag.validation import Question, QuestionError, check_question


def test_plain_questions_pass_with_whitespace_collapsed():
    assert check_question("  متى ستعقد\n المحادثات؟ ", 100) == Question("متى ستعقد المحادثات؟", "ar")
    assert check_question("What is 5 < 6 about?", 100) == Question("What is 5 < 6 about?", "en")


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused_in_both_languages(question: str):
    with pytest.raises(QuestionError) as error:
        check_question(question, 100)
    assert error.value.code == "empty_question"
    assert "Please type a question." in error.value.message and "اكتب سؤالاً" in error.value.message


def test_too_long_question_gets_a_message_in_its_language():
    with pytest.raises(QuestionError) as error:
        check_question("سؤال " * 300, 1000)
    assert error.value.code == "question_too_long" and error.value.language == "ar"
    assert "1000" in error.value.message and "طويل" in error.value.message
    with pytest.raises(QuestionError, match="too long"):
        check_question("why " * 300, 1000)


@pytest.mark.parametrize("control", ["\x00", "\x1b[31m", "\x7f", "\x85", "\x9f"])
def test_control_characters_are_refused(control: str):
    with pytest.raises(QuestionError) as error:
        check_question(f"what{control} happened?", 100)
    assert error.value.code == "control_characters"


def test_tabs_line_breaks_and_characters_beside_the_controls_pass():
    assert check_question("what\thappened\r\nin\xa0Geneva ~?", 100).text == "what happened in Geneva ~?"


@pytest.mark.parametrize(
    "question",
    [
        "<script>alert(1)</script> what happened?",
        'ماذا حدث <img src=x onerror="alert(1)">؟',
        "see [this](http://example.com) please",
        "![pic](http://example.com/a.png) what is it?",
    ],
)
def test_markup_is_refused(question: str):
    with pytest.raises(QuestionError) as error:
        check_question(question, 1000)
    assert error.value.code == "markup"


@pytest.mark.parametrize(
    "question",
    ["abc\udcff\udcfe", "\ud800", "متى \udc80 المحادثات؟"],
)
def test_lone_surrogates_are_refused_not_passed_to_the_tokenizer(question: str):
    with pytest.raises(QuestionError) as error:
        check_question(question, 100)
    assert error.value.code == "invalid_characters"
    assert error.value.language == ("ar" if "متى" in question else "en")


@pytest.mark.parametrize("question", ["\u200f\u200e", "\u200b\u200d", "😀😀", "👨‍👩‍👧", "؟؟؟", "ًٌٍ", "★☆"])
def test_questions_without_a_word_are_refused_in_both_languages(question: str):
    with pytest.raises(QuestionError) as error:
        check_question(question, 100)
    assert error.value.code == "no_words"
    assert "no words" in error.value.message and "كلمات" in error.value.message
    assert "\n" not in error.value.message, "one line"


@pytest.mark.parametrize("question", ["2022", "١٢٣", "ب", "when are the talks 😀", "\u200fمتى المحادثات؟"])
def test_short_or_decorated_questions_with_words_pass(question: str):
    assert check_question(question, 100)
