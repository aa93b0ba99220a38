-- title: Paired wellbeing assessments
-- definition: For each accepted referral and outcome instrument, the baseline is the assessment nearest the start of support (first contact, else the referral date) from $baseline_before_days days before to $baseline_after_days days after it; the follow-up is the last assessment at least $min_follow_up_days days after the baseline and no more than $follow_up_after_closure_days days after closure (any date while the episode is open). Assessments carry their referral id, or are linked by person to the episode they fall in.
-- population: Referrals with status accepted in the outcome cohort: here $outcome_cohort; by default ('closed') those whose episode closed in the period, so that every episode has had its chance of a follow-up; with 'received', those whose referral date falls in the period.
-- statistic: One row per referral and instrument with any linked assessment: baseline and follow-up items and totals, whether any later assessment exists, the date that puts the referral in the outcome cohort (closure or referral date), and the person's characteristics for breakdowns. In Rust: each score's paired change (mean with its t interval, Wilcoxon, reliable change, band shifts), the baseline of those with and without a follow-up, and the change weighted for who was followed up: the chance of a follow-up by logistic regression on the baseline score (and its centred square), age band, sex, IMD quintile, referral source and needs; stabilised inverse-probability weights truncated at the 1st and 99th percentiles; the weighted mean change with a robust (sandwich) interval, the effective sample size and the balance of every characteristic before and after weighting.
-- caveats: Weighting removes bias from follow-ups missed for reasons the model's characteristics capture (missing at random), not from follow-ups missed because people did not improve. One pair per episode and instrument. Episodes without a baseline do not appear here and are counted in the attrition funnel. A follow-up recorded too soon or too late is not paired.
WITH episodes AS (
    SELECT r.referral_id, r.person_id, r.referral_date, r.referral_source, r.scheme, r.closure_date,
           coalesce(r.first_contact_date, r.referral_date) AS start_date,
           CASE WHEN $outcome_cohort = 'closed' THEN r.closure_date ELSE r.referral_date END AS cohort_date,
           p.pcn_code, p.sex, p.ethnicity, p.imd_decile, p.birth_month, p.age_band,
           n.needs
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
),
linked AS (
    SELECT e.referral_id, a.instrument, coalesce(a.assessment_id, '') AS assessment_key, a.assessment_date,
           a.assessment_date - e.start_date AS day_from_start,
           a.item_1, a.item_2, a.item_3, a.item_4, a.item_5, a.item_6, a.item_7,
           a.item_8, a.item_9, a.item_10, a.item_11, a.item_12, a.item_13, a.item_14, a.total
    FROM episodes e JOIN assessments a ON a.referral_id = e.referral_id
    UNION ALL
    SELECT e.referral_id, a.instrument, coalesce(a.assessment_id, '') AS assessment_key, a.assessment_date,
           a.assessment_date - e.start_date AS day_from_start,
           a.item_1, a.item_2, a.item_3, a.item_4, a.item_5, a.item_6, a.item_7,
           a.item_8, a.item_9, a.item_10, a.item_11, a.item_12, a.item_13, a.item_14, a.total
    FROM episodes e JOIN assessments a ON a.person_id = e.person_id AND a.referral_id IS NULL
    WHERE a.assessment_date - e.start_date >= -$baseline_before_days
      AND a.assessment_date - coalesce(e.closure_date, a.assessment_date) <= $follow_up_after_closure_days
),
baseline AS (
    SELECT * FROM (
        SELECT l.*, row_number() OVER (
            PARTITION BY referral_id, instrument
            ORDER BY abs(day_from_start), day_from_start, assessment_key) AS pick
        FROM linked l
        WHERE day_from_start >= -$baseline_before_days AND day_from_start <= $baseline_after_days
    ) ranked WHERE pick = 1
),
later AS (
    SELECT l.referral_id, l.instrument, count(*) AS later_assessments
    FROM linked l JOIN baseline b ON b.referral_id = l.referral_id AND b.instrument = l.instrument
    WHERE l.assessment_date > b.assessment_date
    GROUP BY l.referral_id, l.instrument
),
follow_up AS (
    SELECT * FROM (
        SELECT l.*, row_number() OVER (
            PARTITION BY l.referral_id, l.instrument
            ORDER BY l.assessment_date DESC, l.assessment_key DESC) AS pick
        FROM linked l
        JOIN baseline b ON b.referral_id = l.referral_id AND b.instrument = l.instrument
        JOIN episodes e ON e.referral_id = l.referral_id
        WHERE l.assessment_date - b.assessment_date >= $min_follow_up_days
          AND l.assessment_date - coalesce(e.closure_date, l.assessment_date) <= $follow_up_after_closure_days
    ) ranked WHERE pick = 1
)
SELECT e.referral_id, e.person_id, e.referral_date, e.cohort_date, e.referral_source, e.scheme, e.pcn_code,
       e.sex, e.ethnicity, e.imd_decile, e.birth_month, e.age_band, e.needs,
       b.instrument,
       b.assessment_date AS baseline_date,
       b.item_1 AS b1, b.item_2 AS b2, b.item_3 AS b3, b.item_4 AS b4, b.item_5 AS b5, b.item_6 AS b6, b.item_7 AS b7,
       b.item_8 AS b8, b.item_9 AS b9, b.item_10 AS b10, b.item_11 AS b11, b.item_12 AS b12, b.item_13 AS b13, b.item_14 AS b14,
       b.total AS b_total,
       coalesce(l.later_assessments, 0) AS later_assessments,
       f.assessment_date AS follow_up_date,
       f.item_1 AS f1, f.item_2 AS f2, f.item_3 AS f3, f.item_4 AS f4, f.item_5 AS f5, f.item_6 AS f6, f.item_7 AS f7,
       f.item_8 AS f8, f.item_9 AS f9, f.item_10 AS f10, f.item_11 AS f11, f.item_12 AS f12, f.item_13 AS f13, f.item_14 AS f14,
       f.total AS f_total
FROM baseline b
JOIN episodes e ON e.referral_id = b.referral_id
LEFT JOIN later l ON l.referral_id = b.referral_id AND l.instrument = b.instrument
LEFT JOIN follow_up f ON f.referral_id = b.referral_id AND f.instrument = b.instrument
ORDER BY b.instrument, e.referral_id
