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


def test_control_characters_are_refused():
    with pytest.raises(QuestionError) as error:
        check_question("what\x00 happened\x1b[31m?", 100)
    assert error.value.code == "control_characters"


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
