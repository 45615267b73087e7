"""Precision-first abstention: per-team thresholds chosen on validation, applied by the router, saved with it."""

from __future__ import annotations

from community.routing.model import (
    LARGE_FOLDS,
    LARGE_TRAINING,
    THRESHOLD_FOLDS,
    Router,
    choose_team_thresholds,
    routing_figures,
    threshold_folds,
)
from community.routing.promotion import decide
from community.routing.versions import load_version, save_version


def test_each_team_gets_the_lowest_cut_off_that_keeps_its_precision() -> None:
    # charging: right at 0.9-0.6, one wrong at 0.55, right again at 0.5 -> 5/6 = 0.83 overall
    conf = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5] + [0.95, 0.9, 0.85] * 7
    top = ["charging"] * 6 + ["sales"] * 21
    truth = ["charging"] * 4 + ["sales", "charging"] + ["sales"] * 21
    chosen = choose_team_thresholds(conf, top, truth, ["charging", "sales"], target=0.8, min_items=5)
    assert chosen == {"charging": 0.5, "sales": 0.85}  # 5/6 >= 0.8 at 0.5: the most coverage wins
    strict = choose_team_thresholds(conf, top, truth, ["charging", "sales"], target=0.9, min_items=5)
    assert strict["charging"] == 0.6  # 4/4 at 0.6; 4/5 and 5/6 fall short


def test_a_team_never_precise_enough_is_never_routed_and_a_small_one_uses_the_global_threshold() -> None:
    conf = [0.9] * 10 + [0.99] * 3
    top = ["sales"] * 10 + ["delivery"] * 3
    truth = ["sales", "delivery"] * 5 + ["delivery"] * 3
    chosen = choose_team_thresholds(conf, top, truth, ["sales", "delivery"], target=0.98, min_items=5)
    assert chosen == {"sales": None}  # delivery: 3 items, too few to tell


def test_a_few_lucky_validation_items_do_not_earn_a_team_a_low_cut_off() -> None:
    # "big": 100 right at 0.9, then 100 at 0.5 of which 20 wrong (0.9 overall: its cut-off stays at 0.9).
    # "small": 5 items, all right, three of them at 0.45 where the pooled items are right only 90 % of the time.
    conf = [0.9] * 100 + [0.5] * 100 + [0.95, 0.9, 0.45, 0.45, 0.45]
    top = ["big"] * 200 + ["small"] * 5
    truth = ["big"] * 180 + ["other"] * 20 + ["small"] * 5
    own = choose_team_thresholds(conf, top, truth, ["big", "small"], 0.95, min_items=1)
    assert own == {"big": 0.9, "small": 0.45}  # its own five items say 100 % at 0.45
    shrunk = choose_team_thresholds(conf, top, truth, ["big", "small"], 0.95, min_items=1, prior_items=50)
    assert shrunk == {"big": 0.9, "small": 0.9}  # with the pooled 90 % as prior, 0.45 is not precise enough


def test_a_team_with_much_evidence_keeps_its_own_cut_off_under_shrinkage() -> None:
    # "steady": 300 right at 0.5; "noisy": 100 at 0.5, half wrong: the pooled precision at 0.5 is 0.875.
    conf = [0.5] * 400
    top = ["steady"] * 300 + ["noisy"] * 100
    truth = ["steady"] * 300 + ["noisy", "steady"] * 50
    chosen = choose_team_thresholds(conf, top, truth, ["steady", "noisy"], 0.95, min_items=1, prior_items=50)
    assert chosen == {"steady": 0.5, "noisy": None}  # (300 + 50 x 0.875) / 350 = 0.98


def test_a_cut_off_must_pass_the_target_by_a_margin_that_shrinks_with_the_evidence() -> None:
    # Each team: 96 % right above 0.6 (every 25th wrong), then wrong ones below. Target 0.95.
    def team(n: int, name: str) -> tuple[list[float], list[str], list[str]]:
        truth = [("x" if i % 25 == 24 else name) for i in range(n)] + ["x"] * 20
        return [0.9] * n + [0.4] * 20, [name] * (n + 20), truth

    few, many = team(100, "few"), team(1000, "many")
    conf, top, truth = (a + b for a, b in zip(few, many, strict=True))
    point = choose_team_thresholds(conf, top, truth, ["few", "many"], 0.95, min_items=1)
    assert point == {"few": 0.9, "many": 0.9}  # 0.96 >= 0.95 at face value
    # One standard error of a 0.95 precision: 0.022 over 100 items (0.96 is not enough), 0.007 over 1,000 (it is).
    margin = choose_team_thresholds(conf, top, truth, ["few", "many"], 0.95, min_items=1, margin_z=1.0)
    assert margin == {"few": None, "many": 0.9}


def test_validation_folds_follow_the_training_size_and_the_smallest_label() -> None:
    assert threshold_folds(["a", "b"] * 100) == THRESHOLD_FOLDS
    assert threshold_folds(["a", "b"] * LARGE_TRAINING) == LARGE_FOLDS
    assert threshold_folds(["a"] * 100 + ["b"] * 4) == 4
    assert threshold_folds(["a"] * 100 + ["b"]) == 2


def test_ties_are_routed_together() -> None:
    conf = [0.9, 0.7, 0.7, 0.7, 0.7]
    truth = ["a", "a", "a", "a", "b"]
    chosen = choose_team_thresholds(conf, ["a"] * 5, truth, ["a"], target=0.95, min_items=1)
    assert chosen == {"a": 0.9}  # 0.7 would route the wrong one with the three right ones


def test_the_router_applies_each_teams_threshold(seed_router: Router) -> None:
    text = "超充站的充电桩坏了，充不上电"
    [pred] = seed_router.predict([text])
    assert pred.top3[0][0] == "charging"
    strict = Router(seed_router.pipeline, 0.0, {"team_thresholds": {"charging": None}})
    assert strict.predict([text])[0].team is None
    above = Router(seed_router.pipeline, 0.0, {"team_thresholds": {"charging": min(1.0, pred.confidence + 0.01)}})
    assert above.predict([text])[0].team is None
    at = Router(seed_router.pipeline, 1.0, {"team_thresholds": {"charging": pred.confidence}})
    assert at.predict([text])[0].team == "charging"  # its own threshold, not the global 1.0


def test_thresholds_travel_with_the_saved_version(seed_router: Router, tmp_path) -> None:
    meta = seed_router.metadata
    assert meta["target_precision"] == 0.98
    assert set(meta["team_thresholds"]) <= set(seed_router.classes)
    assert meta["validation"]["precision"] >= 0.95, meta["validation"]
    version = save_version(seed_router, tmp_path, "ef" * 32)
    loaded = load_version(tmp_path, version, threshold=0.3)
    assert loaded.team_thresholds == meta["team_thresholds"] and loaded.threshold == 0.3


def test_routing_figures_count_precision_coverage_and_confusion() -> None:
    figures = routing_figures(["a", None, "b", "a"], ["a", "b", "b", "a"], ["a", "b", "a", "b"])
    assert figures["coverage"] == 0.75 and figures["precision"] == 1 / 3
    assert figures["per_team"]["a"] == {"n": 2, "routed": 2, "precision": 0.5, "coverage": 1.0}
    assert figures["per_team"]["b"] == {"n": 2, "routed": 1, "precision": 0.0, "coverage": 0.5}
    assert figures["confusion"] == {"labels": ["a", "b"], "matrix": [[1, 1], [1, 1]]}


def test_promotion_needs_macro_f1_and_precision_at_least_as_good_within_noise() -> None:
    active = {"macro_f1": 0.90, "precision": 0.99, "coverage": 0.5, "routed": 100}
    assert decide({"macro_f1": 0.90, "precision": 0.99, "coverage": 0.5, "routed": 100}, active) == []
    assert decide({"macro_f1": 0.895, "precision": 0.99, "coverage": 0.5, "routed": 100}, active) == []  # noise
    assert decide({"macro_f1": 0.88, "precision": 0.99, "coverage": 0.9, "routed": 180}, active) == ["macro_f1"]
    assert decide({"macro_f1": 0.95, "precision": 0.95, "coverage": 0.9, "routed": 900}, active) == ["precision"]
    # 0.97 on 100 items is within one standard error (0.017) of the 0.98 target
    assert decide({"macro_f1": 0.95, "precision": 0.97, "coverage": 0.9, "routed": 100}, active) == []
    # reaching the target precision is enough, however precise the active version's few routings were
    assert decide({"macro_f1": 0.95, "precision": 0.985, "coverage": 0.9, "routed": 900},
                  {**active, "precision": 1.0}) == []
    assert decide({"macro_f1": 0.95, "precision": None, "coverage": 0.0, "routed": 0}, active) == ["precision"]
    assert decide({"macro_f1": 0.1, "precision": None, "coverage": 0.0, "routed": 0}, None) == []


def test_promotion_compares_precision_at_equal_coverage() -> None:
    from community.routing.model import Prediction
    from community.routing.promotion import at_equal_coverage

    active = {"macro_f1": 0.90, "precision": 0.99, "coverage": 0.1, "routed": 100}
    wider = {"macro_f1": 0.92, "precision": 0.95, "coverage": 0.9, "routed": 900}  # more routed, less precise
    assert decide(wider, active) == ["precision"]  # at each one's own thresholds: 0.95 < 0.99
    # on the 100 items each is surest of, the candidate is as precise: routing 800 more is no regression
    assert decide(wider, active, equal={"routed": 100, "candidate": 0.99, "active": 0.99}) == []
    assert decide(wider, active, equal={"routed": 100, "candidate": 0.98, "active": 0.99}) == []  # within noise
    assert decide(wider, active, equal={"routed": 100, "candidate": 0.90, "active": 0.99}) == ["precision"]

    def preds(pairs: list[tuple[str, float]]) -> list[Prediction]:
        return [Prediction(None, c, [(t, c)]) for t, c in pairs]

    truth = ["a", "b", "a", "b"]
    candidate = preds([("a", 0.9), ("a", 0.8), ("a", 0.7), ("b", 0.6)])  # surest two: one right
    old = preds([("b", 0.5), ("b", 0.9), ("a", 0.8), ("a", 0.1)])  # surest two: both right
    assert at_equal_coverage(candidate, old, truth, 2) == {"routed": 2, "candidate": 0.5, "active": 1.0}
    assert at_equal_coverage(candidate, old, truth, 0) is None


def test_the_macro_f1_drop_allowed_shrinks_as_the_validation_slice_grows() -> None:
    from community.routing.promotion import F1_TOLERANCE, f1_difference_se

    teams = [f"t{i}" for i in range(10)]

    def slice_of(n: int) -> tuple[list[str], list[str], list[str]]:
        truth = [teams[i % 10] for i in range(n)]
        a = [t if i % 5 else teams[(i + 1) % 10] for i, t in enumerate(truth)]  # every fifth wrong
        b = [t if i % 6 else teams[(i + 3) % 10] for i, t in enumerate(truth)]  # every sixth wrong
        return truth, a, b

    small, large = f1_difference_se(*slice_of(150)), f1_difference_se(*slice_of(3000))
    assert small > 2 * F1_TOLERANCE  # 150 items cannot tell a 1-point drop from noise
    assert large < small / 3  # about 1/sqrt(20) as much on 20x the items
    truth, a, _ = slice_of(150)
    assert f1_difference_se(truth, a, a) == 0.0  # the same predictions never differ
    active = {"macro_f1": 0.90, "precision": 0.99, "coverage": 0.5, "routed": 100}
    dropped = {"macro_f1": 0.88, "precision": 0.99, "coverage": 0.5, "routed": 100}
    assert decide(dropped, active, f1_tolerance=F1_TOLERANCE) == ["macro_f1"]
    assert decide(dropped, active, f1_tolerance=max(F1_TOLERANCE, small)) == []
