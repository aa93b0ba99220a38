-- title: Paired wellbeing assessments
-- definition: For each accepted referral and outcome instrument, the baseline is the assessment nearest the start of support (first contact, else the referral date) from $baseline_before_days days before to $baseline_after_days days after it; the follow-up is the last assessment at least $min_follow_up_days days after the baseline and no more than $follow_up_after_closure_days days after closure (any date while the episode is open). Assessments carry their referral id, or are linked by person to the episode they fall in.
-- population: Referrals with status accepted in the outcome cohort: here $outcome_cohort; by default ('closed') those whose episode closed in the period, so that every episode has had its chance of a follow-up; with 'received', those whose referral date falls in the period.
-- statistic: One row per referral and instrument with any linked assessment: baseline and follow-up items and totals, whether any later assessment exists, the date that puts the referral in the outcome cohort (closure or referral date), and the person's characteristics for breakdowns. In Rust: each score's paired change (mean with its t interval, Wilcoxon, reliable change, band shifts), the baseline of those with and without a follow-up, and the change weighted for who was followed up: the chance of a follow-up by logistic regression on the baseline score (and its centred square), age band, sex, IMD quintile, referral source and needs; stabilised inverse-probability weights truncated at the 1st and 99th percentiles; the weighted mean change with a robust (sandwich) interval, the effective sample size and the balance of every characteristic before and after weighting.
-- caveats: Weighting removes bias from follow-ups missed for reasons the model's characteristics capture (missing at random), not from follow-ups missed because people did not improve. One pair per episode and instrument. Episodes without a baseline do not appear here and are counted in the attrition funnel. A follow-up recorded too soon or too late is not paired.
-- Each step is referenced once (DataFusion evaluates a CTE again at every
-- reference), and the baseline and follow-up are picked by lag() over a few
-- large partitions rather than row_number() over millions of tiny ones
-- (DataFusion's window operators cost microseconds per partition).
WITH episodes AS (
    SELECT referral_id, person_id, coalesce(first_contact_date, referral_date) AS start_date, closure_date
    FROM referrals
    WHERE status = 'accepted'
      AND CASE WHEN $outcome_cohort = 'closed' THEN closure_date ELSE referral_date END >= $period_start
      AND CASE WHEN $outcome_cohort = 'closed' THEN closure_date ELSE referral_date END <= $period_end
),
linked AS (
    SELECT e.referral_id, e.closure_date, a.instrument, coalesce(a.assessment_id, '') AS assessment_key, a.assessment_date,
           a.assessment_date - e.start_date AS day_from_start,
           a.item_1, a.item_2, a.item_3, a.item_4, a.item_5, a.item_6, a.item_7,
           a.item_8, a.item_9, a.item_10, a.item_11, a.item_12, a.item_13, a.item_14, a.total
    FROM episodes e JOIN assessments a ON a.referral_id = e.referral_id
    UNION ALL
    SELECT e.referral_id, e.closure_date, a.instrument, coalesce(a.assessment_id, '') AS assessment_key, a.assessment_date,
           a.assessment_date - e.start_date AS day_from_start,
           a.item_1, a.item_2, a.item_3, a.item_4, a.item_5, a.item_6, a.item_7,
           a.item_8, a.item_9, a.item_10, a.item_11, a.item_12, a.item_13, a.item_14, a.total
    FROM episodes e JOIN assessments a ON a.person_id = e.person_id AND a.referral_id IS NULL
    WHERE a.assessment_date - e.start_date >= -$baseline_before_days
      AND a.assessment_date - coalesce(e.closure_date, a.assessment_date) <= $follow_up_after_closure_days
),
ordered_for_baseline AS (
    -- Each (referral, instrument)'s assessments in the order the baseline is
    -- picked in (inside the window first, then nearest the start of support):
    -- the group's first row is its baseline, if inside the window.
    SELECT c.*, lag(referral_id) OVER (
               PARTITION BY instrument
               ORDER BY referral_id, in_baseline_window DESC, abs(day_from_start), day_from_start, assessment_key) AS previous_referral
    FROM (
        SELECT l.*, day_from_start >= -$baseline_before_days AND day_from_start <= $baseline_after_days AS in_baseline_window
        FROM linked l
    ) c
),
baseline AS (
    SELECT referral_id, instrument, assessment_date AS baseline_date,
           item_1 AS b1, item_2 AS b2, item_3 AS b3, item_4 AS b4, item_5 AS b5, item_6 AS b6, item_7 AS b7,
           item_8 AS b8, item_9 AS b9, item_10 AS b10, item_11 AS b11, item_12 AS b12, item_13 AS b13, item_14 AS b14,
           total AS b_total
    FROM ordered_for_baseline
    WHERE in_baseline_window AND previous_referral IS DISTINCT FROM referral_id
),
ordered_for_follow_up AS (
    -- Every assessment of a group with a baseline, the baseline beside it, in
    -- the order the follow-up is picked in (eligible first, then the latest).
    SELECT c.*, lag(referral_id) OVER (
               PARTITION BY instrument
               ORDER BY referral_id, follows_up DESC, assessment_date DESC, assessment_key DESC) AS previous_referral
    FROM (
        SELECT l.referral_id, l.instrument, l.assessment_key, l.assessment_date,
               l.item_1, l.item_2, l.item_3, l.item_4, l.item_5, l.item_6, l.item_7,
               l.item_8, l.item_9, l.item_10, l.item_11, l.item_12, l.item_13, l.item_14, l.total,
               b.baseline_date, b.b1, b.b2, b.b3, b.b4, b.b5, b.b6, b.b7,
               b.b8, b.b9, b.b10, b.b11, b.b12, b.b13, b.b14, b.b_total,
               l.assessment_date - b.baseline_date >= $min_follow_up_days
                   AND l.assessment_date - coalesce(l.closure_date, l.assessment_date) <= $follow_up_after_closure_days AS follows_up
        FROM linked l JOIN baseline b ON b.referral_id = l.referral_id AND b.instrument = l.instrument
    ) c
),
pairs AS (
    -- One row per group: the baseline (the same on every row), how many
    -- assessments came after it, and the follow-up (the first eligible row).
    SELECT referral_id, instrument, max(baseline_date) AS baseline_date,
       max(b1) AS b1, max(b2) AS b2, max(b3) AS b3, max(b4) AS b4, max(b5) AS b5, max(b6) AS b6, max(b7) AS b7,
       max(b8) AS b8, max(b9) AS b9, max(b10) AS b10, max(b11) AS b11, max(b12) AS b12, max(b13) AS b13, max(b14) AS b14,
       max(b_total) AS b_total,
       count(CASE WHEN assessment_date > baseline_date THEN 1 END) AS later_assessments,
       max(CASE WHEN picked THEN assessment_date END) AS follow_up_date,
       max(CASE WHEN picked THEN item_1 END) AS f1,
       max(CASE WHEN picked THEN item_2 END) AS f2,
       max(CASE WHEN picked THEN item_3 END) AS f3,
       max(CASE WHEN picked THEN item_4 END) AS f4,
       max(CASE WHEN picked THEN item_5 END) AS f5,
       max(CASE WHEN picked THEN item_6 END) AS f6,
       max(CASE WHEN picked THEN item_7 END) AS f7,
       max(CASE WHEN picked THEN item_8 END) AS f8,
       max(CASE WHEN picked THEN item_9 END) AS f9,
       max(CASE WHEN picked THEN item_10 END) AS f10,
       max(CASE WHEN picked THEN item_11 END) AS f11,
       max(CASE WHEN picked THEN item_12 END) AS f12,
       max(CASE WHEN picked THEN item_13 END) AS f13,
       max(CASE WHEN picked THEN item_14 END) AS f14,
       max(CASE WHEN picked THEN total END) AS f_total
    FROM (SELECT *, follows_up AND previous_referral IS DISTINCT FROM referral_id AS picked FROM ordered_for_follow_up) o
    GROUP BY referral_id, instrument
)
SELECT d.referral_id, d.person_id, d.referral_date, d.cohort_date, d.referral_source, d.scheme, d.pcn_code,
       d.sex, d.ethnicity, d.imd_decile, d.birth_month, d.age_band, d.needs,
       x.instrument, x.baseline_date,
       x.b1, x.b2, x.b3, x.b4, x.b5, x.b6, x.b7, x.b8, x.b9, x.b10, x.b11, x.b12, x.b13, x.b14, x.b_total,
       x.later_assessments, x.follow_up_date,
       x.f1, x.f2, x.f3, x.f4, x.f5, x.f6, x.f7, x.f8, x.f9, x.f10, x.f11, x.f12, x.f13, x.f14, x.f_total
FROM pairs x
JOIN (
    -- Who each episode is, for the breakdowns: joined once, to the pairs.
    SELECT r.referral_id, r.person_id, r.referral_date,
           CASE WHEN $outcome_cohort = 'closed' THEN r.closure_date ELSE r.referral_date END AS cohort_date,
           r.referral_source, r.scheme, p.pcn_code, p.sex, p.ethnicity, p.imd_decile, p.birth_month, p.age_band, n.needs
    FROM referrals r
    JOIN people p ON p.person_id = r.person_id
    LEFT JOIN (
        -- array_sort(array_agg()) rather than string_agg(… ORDER BY need): the
        -- same text, twenty times faster in DataFusion at national scale.
        SELECT referral_id, array_to_string(array_sort(array_agg(need)), ';') AS needs
        FROM referral_needs GROUP BY referral_id
    ) n ON n.referral_id = r.referral_id
    WHERE r.status = 'accepted'
      AND CASE WHEN $outcome_cohort = 'closed' THEN r.closure_date ELSE r.referral_date END >= $period_start
      AND CASE WHEN $outcome_cohort = 'closed' THEN r.closure_date ELSE r.referral_date END <= $period_end
) d ON d.referral_id = x.referral_id
ORDER BY x.instrument, d.referral_id
