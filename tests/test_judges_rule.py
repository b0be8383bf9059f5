"""The rule-based judge: SQuAD normalisation, F1 and containment."""

from past.judges import RuleJudge, normalize_answer, token_f1


def test_normalisation_drops_case_punctuation_articles() -> None:
    assert normalize_answer("The  Eiffel Tower!") == "eiffel tower"


def test_f1_partial_overlap() -> None:
    assert token_f1("red apple pie", "apple pie") == 0.8
    assert token_f1("banana", "apple") == 0.0


def test_containment_scores_full_marks() -> None:
    judge = RuleJudge()
    assert judge.score("I think it was built in 1889, in Paris.", "1889") == 1.0
    assert judge.correct("It opened in 1889.", ["1888", "1889"])
    assert not judge.correct("No idea.", "1889")
    assert judge.score("anything", []) == 0.0
