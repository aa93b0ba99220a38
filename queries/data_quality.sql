-- title: Data quality of referrals
-- definition: For referrals received in the period, overall, by practice and by link worker: completeness of ethnicity (recorded and not 'not known'), IMD decile, referral source and status; for accepted referrals in the outcome cohort (here $outcome_cohort; 'closed', the default, takes episodes closed in the period, 'received' referrals received in it), those with a baseline assessment and with a follow-up (a later assessment of the same instrument); referrals with an impossible date order (closure before first contact, referral after death; a first contact or closure before the referral, and a referral before the month of birth, are quarantined at ingest); and possible duplicates (another referral for the same person on the same day).
-- population: Referrals whose referral date falls in the period; for the outcome items, accepted referrals in the outcome cohort.
-- statistic: Counts per group; shares in Rust.
-- caveats: Rows already quarantined at ingest are not here (see the quarantine table); completeness counts what the extract recorded, not whether it is right.
WITH cohorts AS (
    SELECT r.*,
           CASE WHEN r.referral_date >= $period_start AND r.referral_date <= $period_end THEN 1 ELSE 0 END AS received,
           CASE WHEN CASE WHEN $outcome_cohort = 'closed' THEN r.closure_date ELSE r.referral_date END >= $period_start
                 AND CASE WHEN $outcome_cohort = 'closed' THEN r.closure_date ELSE r.referral_date END <= $period_end
                THEN 1 ELSE 0 END AS in_outcome_cohort
    FROM referrals r
),
period_referrals AS (
    SELECT r.*, p.practice_code, p.ethnicity, p.imd_decile, p.date_of_death
    FROM cohorts r JOIN people p ON p.person_id = r.person_id
    WHERE r.received = 1 OR r.in_outcome_cohort = 1
),
assessed AS (
    SELECT referral_id, count(*) AS assessments, max(per_instrument) AS most_of_one_instrument
    FROM (
        SELECT referral_id, instrument, count(DISTINCT assessment_date) AS per_instrument
        FROM assessments WHERE referral_id IS NOT NULL GROUP BY referral_id, instrument
    ) i
    GROUP BY referral_id
),
same_day AS (
    SELECT person_id, referral_date, count(*) AS referrals FROM referrals GROUP BY person_id, referral_date
),
flags AS (
    SELECT r.practice_code, coalesce(r.link_worker_id, 'not recorded') AS link_worker_id,
           r.received,
           CASE WHEN r.received = 1 AND r.ethnicity IS NOT NULL AND r.ethnicity <> '99' THEN 1 ELSE 0 END AS ethnicity_recorded,
           CASE WHEN r.received = 1 AND r.imd_decile IS NOT NULL THEN 1 ELSE 0 END AS imd_recorded,
           CASE WHEN r.received = 1 AND r.referral_source IS NOT NULL THEN 1 ELSE 0 END AS source_recorded,
           CASE WHEN r.received = 1 AND r.status IS NOT NULL THEN 1 ELSE 0 END AS status_recorded,
           CASE WHEN r.received = 1 AND r.status = 'accepted' THEN 1 ELSE 0 END AS accepted,
           CASE WHEN r.in_outcome_cohort = 1 AND r.status = 'accepted' THEN 1 ELSE 0 END AS outcome_accepted,
           CASE WHEN r.in_outcome_cohort = 1 AND r.status = 'accepted' AND a.assessments > 0 THEN 1 ELSE 0 END AS baseline_recorded,
           CASE WHEN r.in_outcome_cohort = 1 AND r.status = 'accepted' AND a.most_of_one_instrument > 1 THEN 1 ELSE 0 END AS follow_up_recorded,
           CASE WHEN r.received = 1 AND (r.closure_date < r.first_contact_date OR r.referral_date > r.date_of_death)
                THEN 1 ELSE 0 END AS impossible_date_order,
           CASE WHEN r.received = 1 AND d.referrals > 1 THEN 1 ELSE 0 END AS possible_duplicate
    FROM period_referrals r
    LEFT JOIN assessed a ON a.referral_id = r.referral_id
    LEFT JOIN same_day d ON d.person_id = r.person_id AND d.referral_date = r.referral_date
),
by_unit AS (
    -- Aggregate once per practice and link worker, then spread over the three
    -- breakdowns: DataFusion inlines a CTE at every reference, so UNION ALL
    -- branches over `flags` would compute it once per branch.
    SELECT practice_code, link_worker_id, sum(received) AS referrals,
           sum(ethnicity_recorded) AS ethnicity_recorded, sum(imd_recorded) AS imd_recorded,
           sum(source_recorded) AS source_recorded, sum(status_recorded) AS status_recorded,
           sum(accepted) AS accepted, sum(outcome_accepted) AS outcome_accepted, sum(baseline_recorded) AS baseline_recorded, sum(follow_up_recorded) AS follow_up_recorded,
           sum(impossible_date_order) AS impossible_date_order, sum(possible_duplicate) AS possible_duplicate
    FROM flags GROUP BY practice_code, link_worker_id
),
grouped AS (
    SELECT b.breakdown,
           CASE b.breakdown WHEN 'all' THEN 'all' WHEN 'practice_code' THEN u.practice_code ELSE u.link_worker_id END AS grp,
           u.*
    FROM by_unit u
    CROSS JOIN (VALUES ('all'), ('practice_code'), ('link_worker_id')) AS b(breakdown)
)
SELECT breakdown, grp AS "group", sum(referrals) AS referrals,
       sum(ethnicity_recorded) AS ethnicity_recorded, sum(imd_recorded) AS imd_recorded,
       sum(source_recorded) AS source_recorded, sum(status_recorded) AS status_recorded,
       sum(accepted) AS accepted, sum(outcome_accepted) AS outcome_accepted, sum(baseline_recorded) AS baseline_recorded, sum(follow_up_recorded) AS follow_up_recorded,
       sum(impossible_date_order) AS impossible_date_order, sum(possible_duplicate) AS possible_duplicate
FROM grouped
GROUP BY breakdown, grp
ORDER BY CASE breakdown WHEN 'all' THEN 0 WHEN 'practice_code' THEN 1 ELSE 2 END, grp
