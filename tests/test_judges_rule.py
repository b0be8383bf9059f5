"""The rule-based judges: SQuAD normalisation, EM/F1/containment, and that reciting earns no credit."""

from past.judges import ContainmentJudge, RuleQAJudge, answer_scores, make_judge, normalize_answer, token_f1

RECITED = "The Carolina Panthers finished the regular season with a 15–1 record and denied the Arizona Cardinals"


def test_normalisation_drops_case_punctuation_articles() -> None:
    assert normalize_answer("The  Eiffel Tower!") == "eiffel tower"


def test_f1_partial_overlap() -> None:
    assert token_f1("red apple pie", "apple pie") == 0.8
    assert token_f1("banana", "apple") == 0.0


def test_answer_scores_take_the_best_reference() -> None:
    scores = answer_scores("It opened in 1889.", ["1888", "1889"])
    assert scores.containment == 1.0 and scores.em == 0.0 and 0.0 < scores.f1 < 1.0
    assert answer_scores("the Eiffel Tower", "Eiffel tower").em == 1.0
    assert answer_scores("anything", []) == answer_scores("", "x").__class__(0.0, 0.0, 0.0)


def test_default_rule_judge_does_not_reward_reciting() -> None:
    judge = make_judge("rule")
    assert isinstance(judge, RuleQAJudge)
    recited = judge.score("Who did they deny?", RECITED, ["Arizona Cardinals"])
    short = judge.score("Who did they deny?", "the Arizona Cardinals", ["Arizona Cardinals"])
    assert short == 1.0
    assert recited < 0.5  # contains the answer, but is not a short answer: not correct
    # the lenient judge (kept for comparison) gives the recitation full marks
    assert ContainmentJudge().score("q", RECITED, ["Arizona Cardinals"]) == 1.0


def test_rule_judge_is_dense_for_rewards() -> None:
    judge = RuleQAJudge()
    scores = judge.score_batch(
        ["q"] * 3, ["Denver", "Denver Broncos", "the Broncos of Denver won"], ["Denver Broncos"] * 3
    )
    assert scores[1] == 1.0 and 0.0 < scores[0] < 1.0 and 0.0 < scores[2] < 1.0


def test_short_answer_reward_prefers_the_short_right_answer() -> None:
    from past.judges import ShortAnswerReward

    reward = ShortAnswerReward(bonus=0.2, max_words=12)
    refs = ["Arizona Cardinals"]
    short_right = reward.score("q", "The Arizona Cardinals.", refs)
    recited = reward.score("q", RECITED, refs)
    short_wrong = reward.score("q", "The Denver Broncos.", refs)
    assert short_right == 1.2 and short_wrong == 0.0 and recited < 0.5
    assert reward.score("q", "", refs) == 0.0  # an empty answer earns nothing
