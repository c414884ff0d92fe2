"""Quadrant, score and ranking rules of the prioritisation, on hand-built frames."""

import math

import pandas as pd
import pytest

from mrc_pipeline import priorities as P
from mrc_pipeline import priority_figures as F
from mrc_pipeline.priorities import PriorityRules

INFO = pd.DataFrame({"assessment_id": ["AAA-2023", "BBB-2023"], "iso3": ["KEN", "UGA"],
                     "country": ["Kenya", "Uganda"], "region": ["Africa", "Africa"]})
PLG = "Policy Legislation and Governance"
CJ = "Criminal Justice"


def gaps():
    # AAA: G1 urgent+changeable+present, G2 urgent+changeable+absent, G3 urgent but
    # hard to change, G4 not urgent, G5 priority blank, G6 urgent without any
    # recommendation, G7 urgent+changeable with presence blank, G8 urgent with its
    # only recommendation unrated. BBB: one gap, urgent and changeable, present.
    return pd.DataFrame({
        "assessment_id": ["AAA-2023"] * 8 + ["BBB-2023"],
        "gap_id": ["G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G1"],
        "sector": [PLG, PLG, CJ, CJ, CJ, PLG, CJ, CJ, PLG],
        "capability_no": pd.array([1, None, 3, 4, None, 2, 5, 6, 1], dtype="Int64"),
        "description": ["d"] * 9,
        "priority": pd.array([5, 4, 5, 3, None, 5, 4, 4, 4], dtype="Int64"),
        "presence": pd.array([3, 1, 4, 2, 4, 4, None, 3, 4], dtype="Int64"),
        "source_cell": [None] * 9,
    })


def recs():
    # G1 has two recommendations (change 2 and 4): max 4, mean 3. G2: 3. G3: 2.
    # G4: 5. G5: 4. G7: 3. G8: one unrated. R9 names a gap that does not exist.
    # BBB's R1 names G1 of BBB, not AAA's G1.
    return pd.DataFrame({
        "assessment_id": ["AAA-2023"] * 9 + ["BBB-2023"],
        "rec_id": ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R1"],
        "gap_id": ["G1", "G1", "G2", "G3", "G4", "G5", "G7", "G8", "G99", "G1"],
        "sector": [PLG] * 10,
        "capability_no": pd.array([None] * 10, dtype="Int64"),
        "horizon": ["short"] * 10,
        "description": ["r"] * 10,
        "realistic_change": pd.array([2, 4, 3, 2, 5, 4, 3, None, 5, 3], dtype="Int64"),
        "source_cell": [None] * 10,
    })


def by_gap(frame, aid="AAA-2023"):
    return frame[frame.assessment_id == aid].set_index("gap_id")


def test_quadrants_of_every_case(ref):
    out = by_gap(P.gap_priorities(gaps(), recs(), INFO, ref))
    assert out.loc["G1", "quadrant"] == P.ACT_NOW          # 5, change max 4, presence 3
    assert out.loc["G2", "quadrant"] == P.BUILD_PRESENCE   # 4, change 3, presence 1
    assert out.loc["G3", "quadrant"] == P.ADVOCATE         # 5, change 2 < 3
    assert out.loc["G4", "quadrant"] == P.MONITOR          # priority 3 < 4
    assert out.loc["G5", "quadrant"] == P.UNRATED_PRIORITY
    assert out.loc["G6", "quadrant"] == P.NO_RECOMMENDATION
    assert out.loc["G7", "quadrant"] == P.UNRATED_PRESENCE
    assert out.loc["G8", "quadrant"] == P.UNRATED_CHANGE


def test_change_rule_max_and_mean(ref):
    # G1's recommendations rate 2 and 4: max 4 (act now); mean 3 still >= 3.
    out = by_gap(P.gap_priorities(gaps(), recs(), INFO, ref))
    assert out.loc["G1", "realistic_change"] == 4.0
    assert out.loc["G1", "n_recommendations"] == 2
    assert out.loc["G1", "recommendation_ids"] == "R1, R2"
    mean = by_gap(P.gap_priorities(gaps(), recs(), INFO, ref,
                                   PriorityRules(change_rule="mean")))
    assert mean.loc["G1", "realistic_change"] == 3.0
    # With the threshold at 4, the mean (3) makes G1 hard to change, the max does not.
    strict = PriorityRules(change_rule="mean", changeable_change=4)
    assert by_gap(P.gap_priorities(gaps(), recs(), INFO, ref, strict)).loc[
        "G1", "quadrant"] == P.ADVOCATE
    # G8's only recommendation is unrated: counted, but not rated, change missing.
    assert out.loc["G8", "n_recommendations"] == 1
    assert out.loc["G8", "n_recommendations_rated"] == 0
    assert math.isnan(out.loc["G8", "realistic_change"])


def test_recommendations_match_gaps_within_their_assessment(ref):
    out = by_gap(P.gap_priorities(gaps(), recs(), INFO, ref), "BBB-2023")
    # BBB's G1 gets only BBB's R1 (change 3), not AAA's R1 and R2.
    assert out.loc["G1", "realistic_change"] == 3.0
    assert out.loc["G1", "recommendation_ids"] == "R1"


def test_score_is_weighted_rescaled_sum_and_unrated_is_not_zero(ref):
    out = by_gap(P.gap_priorities(gaps(), recs(), INFO, ref))
    # G1: priority 5 -> 1, change 4 -> 0.75, presence 3 -> 2/3:
    # 0.5 * 1 + 0.3 * 0.75 + 0.2 * 2/3
    assert out.loc["G1", "score"] == pytest.approx(0.5 + 0.225 + 0.2 * 2 / 3)
    # G4 (monitor): priority 3 -> 0.5, change 5 -> 1, presence 2 -> 1/3
    assert out.loc["G4", "score"] == pytest.approx(0.25 + 0.3 + 0.2 / 3)
    for gap in ("G5", "G6", "G7", "G8"):
        assert math.isnan(out.loc[gap, "score"]), gap
        assert pd.isna(out.loc[gap, "rank"]), gap


def test_rank_orders_quadrants_then_score(ref):
    out = by_gap(P.gap_priorities(gaps(), recs(), INFO, ref))
    # act now, build presence, advocate, monitor; the four unrated gaps unranked.
    assert out["rank"].dropna().astype(int).to_dict() == {"G1": 1, "G2": 2, "G3": 3,
                                                          "G4": 4}
    # G4 scores 0.617 > G2's 0.5*0.75 + 0.3*0.5 + 0 = 0.525, yet ranks after it:
    # the quadrant comes first.
    assert out.loc["G4", "score"] > out.loc["G2", "score"]
    # Rows come out in rank order, unranked last.
    aaa = P.gap_priorities(gaps(), recs(), INFO, ref).query("assessment_id == 'AAA-2023'")
    assert aaa["gap_id"].tolist()[:4] == ["G1", "G2", "G3", "G4"]


def test_rank_ties_break_on_score_priority_then_gap_id():
    # Three monitor gaps: B and C score the same, C has the higher priority; A and D
    # are identical and fall back to gap id; E is unscored and comes last.
    frame = pd.DataFrame({
        "assessment_id": ["X-1"] * 5, "gap_id": ["D", "C", "B", "A", "E"],
        "quadrant": [P.MONITOR] * 5,
        "score": [0.2, 0.5, 0.5, 0.2, math.nan],
        "priority": [2, 3, 2, 2, 3]})
    ranks = dict(zip(frame["gap_id"], P.rank_gaps(frame)))
    assert ranks == {"C": 1, "B": 2, "A": 3, "D": 4, "E": 5}


def test_rules_reject_out_of_scale_settings(ref):
    with pytest.raises(ValueError, match="urgent_priority = 6 is outside the priority"):
        PriorityRules(urgent_priority=6).check(ref)
    with pytest.raises(ValueError, match="change_rule"):
        PriorityRules(change_rule="median").check(ref)
    with pytest.raises(ValueError, match="weights"):
        PriorityRules(priority_weight=0, change_weight=0, presence_weight=0).check(ref)


def test_rule_is_stated_in_every_row(ref):
    out = P.gap_priorities(gaps(), recs(), INFO, ref)
    assert out["rule"].nunique() == 1
    assert "priority >= 4" in out["rule"].iloc[0] and "max" in out["rule"].iloc[0]


def test_rank_desc_shares_ties_and_leaves_missing_unranked():
    # 3.0 and 3.0 tie for first; 2.0 is third; NaN has no rank.
    ranks = P.rank_desc(pd.Series([3.0, 2.0, 3.0, math.nan]))
    assert ranks.tolist()[:3] == [1, 3, 1] and pd.isna(ranks.iloc[3])


def test_sector_ranks_side_by_side(ref):
    long = pd.DataFrame({
        "scope": ["global"] * 6, "region": [None] * 6,
        "variable": ["priority", "priority", "presence", "presence", "change", "change"],
        "sector": [PLG, CJ] * 3,
        "n": [4, 3, 4, 3, 5, 2], "n_countries": [2, 2, 2, 1, 2, 2],
        "mean": [3.5, 4.0, 2.0, 1.5, 3.0, 3.0], "sd": [1.0] * 6,
        "convention": ["c"] * 6})
    out = P.widen_sector_ranks(long, ref).set_index("sector")
    # Priority: CJ 4.0 first, PLG second; presence: PLG first; change: a tie, both 1.
    assert (out.loc[CJ, "priority_rank"], out.loc[PLG, "priority_rank"]) == (1, 2)
    assert (out.loc[PLG, "presence_rank"], out.loc[CJ, "presence_rank"]) == (1, 2)
    assert (out.loc[PLG, "change_rank"], out.loc[CJ, "change_rank"]) == (1, 1)
    assert out.loc[CJ, "presence_countries"] == 1 and out.loc[CJ, "change_n"] == 2
    assert "highest mean" in out.loc[PLG, "convention"]
    assert P.top_sectors(out.reset_index(), "change", count=1) == [PLG, CJ]


def test_sector_priorities_follow_the_sector_conventions(ref, shipped):
    from mrc_pipeline import aggregate

    tables = {k: shipped[k] for k in ("capability_ratings", "gaps", "recommendations")}
    cells = aggregate.country_sector_means(tables, shipped["info"])
    out = P.sector_priorities(shipped["gaps"], shipped["recommendations"], cells,
                              shipped["info"], ref)
    # 6 global rows and 6 per region
    assert len(out) == 6 * 4
    glob = out[out.scope == "global"].set_index("sector")
    gaps_ = shipped["gaps"]
    plg = gaps_[gaps_.sector == PLG]["priority"].dropna().astype(float)
    # Global figures pool every rated gap of the sector.
    assert glob.loc[PLG, "priority_mean"] == pytest.approx(plg.mean())
    assert glob.loc[PLG, "priority_n"] == len(plg)
    reg = out[(out.scope == "region") & (out.region == "Africa")].set_index("sector")
    # A region's figure is over its countries' sector means (2 countries in Africa).
    country_means = cells[(cells.region == "Africa") & (cells.variable == "priority")
                          & (cells.sector == PLG)]["mean"]
    assert reg.loc[PLG, "priority_mean"] == pytest.approx(country_means.mean())
    assert reg.loc[PLG, "priority_countries"] == 2


# --- figure ---------------------------------------------------------------------------


def test_gap_figure_panels_points_and_jitter(ref):
    frame = P.gap_priorities(gaps(), recs(), INFO, ref)
    fig = F.gap_priority_figure(
        frame, PriorityRules(), ref, seed=3)
    axes = [ax for ax in fig.axes if ax.get_title()]
    # One region (Africa) in the frame: one panel.
    assert len(axes) == 1 and axes[0].get_title().startswith("Africa")
    # Plotted: gaps with priority and change, i.e. G1-G4, G7 and BBB's G1 (6); G7 is
    # drawn as "presence not rated". Not plotted: G5, G6, G8 (3).
    assert "6 gaps plotted; 3 without" in axes[0].get_title()
    offsets = [c.get_offsets() for c in axes[0].collections]
    points = [p for block in offsets for p in block]
    assert len(points) == 6 and len(offsets[1]) == 1
    # Jitter stays within 0.18 of the integer ratings, and is the same for a seed.
    xs = sorted(round(float(x), 6) for x, _ in points)
    assert all(abs(x - round(x)) <= 0.18 for x in xs)
    again = F.gap_priority_figure(
        frame, PriorityRules(), ref, seed=3)
    again_xs = sorted(round(float(x), 6) for ax in again.axes if ax.get_title()
                      for c in ax.collections for x, _ in c.get_offsets())
    assert xs == again_xs
    assert axes[0].get_ylabel() == "Gap priority"
    assert "Realistic change (max" in axes[0].get_xlabel()


# --- Dagster level ----------------------------------------------------------------------


def test_asset_takes_its_rules_from_config(ref, tmp_path):
    from dagster import build_asset_context

    from mrc_pipeline.defs.priority_assets import PriorityConfig, gap_priorities
    from mrc_pipeline.defs.resources import MrcPaths

    paths = MrcPaths(data_dir=str(ref.data_dir), output_dir=str(tmp_path))
    info = INFO.assign(source_sha256="0" * 64)
    # At urgent_priority 5 only G1 and G3 (priority 5) and G6 stay urgent; G2 (4)
    # becomes monitor.
    out = gap_priorities(build_asset_context(), config=PriorityConfig(urgent_priority=5),
                         paths=paths, assessment_info=info, gaps=gaps(),
                         recommendations=recs()).value
    quadrant = by_gap(out).quadrant
    assert quadrant["G2"] == P.MONITOR and quadrant["G1"] == P.ACT_NOW
    assert (out.urgent_at == 5).all() and "priority >= 5" in out.rule.iloc[0]
    assert PriorityRules.of_table(out) == PriorityRules(urgent_priority=5)


def test_pipeline_writes_priorities_and_figure(pipeline_run, shipped):
    from mrc_pipeline_tests.conftest import exported

    _, output = pipeline_run
    gp = exported(output, "gap_priorities")
    assert len(gp) == len(shipped["gaps"]) == 212
    assert set(P.GAP_PRIORITY_COLUMNS) <= set(gp.columns)
    # Every gap without a priority is reported as such, never ranked or scored.
    unrated = gp[gp.priority.isna()]
    assert (unrated.quadrant == P.UNRATED_PRIORITY).all()
    assert unrated["rank"].isna().all() and unrated["score"].isna().all()
    # Ranks run 1..n without gaps within each assessment.
    for _, group in gp.dropna(subset=["rank"]).groupby("assessment_id"):
        assert sorted(group["rank"].astype(int)) == list(range(1, len(group) + 1))
    sp = exported(output, "sector_priorities")
    assert len(sp) == 24 and {"priority_rank", "presence_rank", "change_rank",
                              "convention"} <= set(sp.columns)
    for ext in ("png", "svg"):
        assert (output / "figures" / f"gap_priorities.{ext}").stat().st_size > 10_000


def test_report_has_the_prioritisation_section(pipeline_run, ref):
    import html as html_lib

    from mrc_pipeline.priority_text import assessment_sentences, sector_sentence
    from mrc_pipeline_tests.conftest import exported

    _, output = pipeline_run
    page = (output / "report.html").read_text(encoding="utf-8")
    assert "<h2>Prioritisation</h2>" in page
    gp = exported(output, "gap_priorities")
    sentences = assessment_sentences(gp, ref)
    assert len(sentences) == 11
    for sentence in sentences:
        assert html_lib.escape(sentence) in page
    sp = exported(output, "sector_priorities")
    assert html_lib.escape(sector_sentence(sp, "global", None,
                                           "All regions (pooled ratings)")) in page


def test_where_intervention_is_most_effective_as_in_the_report(pipeline_run):
    """The report's paragraph: 'With current presence, it would be more effective to
    intervene in Policy, Legislation and Governance, Research and Data, and Criminal
    Justice'; 'change is most feasible in Policy, Legislation and Governance, Victim
    Support, and Research and Data' (global, pooled)."""
    from mrc_pipeline_tests.conftest import exported

    _, output = pipeline_run
    sp = exported(output, "sector_priorities")
    assert P.top_sectors(sp, "presence") == [PLG, "Research and Data", CJ]
    assert P.top_sectors(sp, "change") == [PLG, "Victim Support", "Research and Data"]


# --- generated sentences ----------------------------------------------------------------


def test_assessment_sentence_follows_the_ratings(ref):
    from mrc_pipeline.priority_text import assessment_sentences

    text = assessment_sentences(P.gap_priorities(gaps(), recs(), INFO, ref), ref)[0]
    # AAA: G1, G2, G3 first, in rank order; 1 of each rated quadrant; 4 not ranked.
    assert text.startswith("Kenya (AAA-2023): first G1")
    assert text.index("G1") < text.index("G2") < text.index("G3")
    assert "G4" not in text
    assert "1 act now, 1 build presence, 1 advocate and 1 monitor" in text
    assert "4 are not ranked (1 priority missing, 1 no recommendation" in text
    # Raising G2's presence to 4 makes it a second "act now" gap: the sentence changes.
    changed = gaps()
    changed.loc[1, "presence"] = 4
    after = assessment_sentences(P.gap_priorities(changed, recs(), INFO, ref), ref)[0]
    assert "2 act now, 1 advocate and 1 monitor" in after
    assert "(Policy Legislation and Governance; act now: priority 4 harmful" in after


def test_sector_sentence_names_the_leaders(ref):
    from mrc_pipeline.priority_text import sector_sentence

    wide = pd.DataFrame({
        "scope": ["global"] * 2, "region": [None] * 2, "sector": [PLG, CJ],
        "priority_mean": [3.5, 4.0], "priority_rank": pd.array([2, 1], dtype="Int64"),
        "presence_mean": [2.0, math.nan],
        "presence_rank": pd.array([1, None], dtype="Int64"),
        "change_mean": [math.nan, math.nan],
        "change_rank": pd.array([None, None], dtype="Int64")})
    text = sector_sentence(wide, "global", None, "All regions")
    # Priority: CJ (4.00) before PLG (3.50); presence only PLG; change has no ratings.
    assert text == ("All regions: gap priority is highest in Criminal Justice (4.00) and "
                    f"{PLG} (3.50); presence is highest in {PLG} (2.00).")
