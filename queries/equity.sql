-- title: Equity of referral, decline and outcome completion
-- definition: Referrals received in the period by the referred person's age band (at referral), sex, ethnic group, IMD quintile and Core20 (IMD deciles 1-2), with how many were declined and how many accepted; and, for outcome completion, accepted referrals in the outcome cohort (here $outcome_cohort; 'closed', the default, takes episodes closed in the period, 'received' referrals received in it) and how many of them have a follow-up (two or more assessments of one instrument); denominators are the registered population in the same group: the population table for age band, sex, IMD quintile and Core20, and people registered on the period's first day for ethnic group (the population table carries no ethnicity).
-- population: Referrals received in the period, and referrals in the outcome cohort; registered population as supplied.
-- statistic: Counts per group; rates per 1,000, rate ratios against everyone else with 95% intervals, and Wilson intervals on shares in Rust.
-- caveats: People with an unknown group are shown as 'unknown'; ethnic-group denominators depend on the people extract covering the whole registered list.
WITH cohorts AS (
    SELECT r.*,
           CASE WHEN r.referral_date >= $period_start AND r.referral_date <= $period_end THEN 1 ELSE 0 END AS received,
           CASE WHEN CASE WHEN $outcome_cohort = 'closed' THEN r.closure_date ELSE r.referral_date END >= $period_start
                 AND CASE WHEN $outcome_cohort = 'closed' THEN r.closure_date ELSE r.referral_date END <= $period_end
                THEN 1 ELSE 0 END AS in_outcome_cohort
    FROM referrals r
),
aged AS (
    SELECT r.referral_id, r.status, r.received, r.in_outcome_cohort,
           p.sex, p.ethnicity, p.imd_decile, p.age_band AS recorded_band,
           date_part('year', r.referral_date) - date_part('year', p.birth_month)
             - CASE WHEN date_part('month', r.referral_date) < date_part('month', p.birth_month) THEN 1 ELSE 0 END AS age
    FROM cohorts r JOIN people p ON p.person_id = r.person_id
    WHERE r.received = 1 OR r.in_outcome_cohort = 1
),
completed AS (
    SELECT referral_id FROM (
        SELECT referral_id, instrument, count(DISTINCT assessment_date) AS n
        FROM assessments WHERE referral_id IS NOT NULL GROUP BY referral_id, instrument
    ) i WHERE n > 1 GROUP BY referral_id
),
flagged AS (
    SELECT CASE
               WHEN a.age IS NULL THEN coalesce(a.recorded_band, 'unknown')
               WHEN a.age < 18 THEN '0-17'
               WHEN a.age < 25 THEN '18-24'
               WHEN a.age < 35 THEN '25-34'
               WHEN a.age < 45 THEN '35-44'
               WHEN a.age < 55 THEN '45-54'
               WHEN a.age < 65 THEN '55-64'
               WHEN a.age < 75 THEN '65-74'
               WHEN a.age < 85 THEN '75-84'
               ELSE '85+'
           END AS age_band,
           coalesce(a.sex, 'unknown') AS sex,
           CASE WHEN a.ethnicity IN ('A', 'B', 'C') THEN 'White'
                WHEN a.ethnicity IN ('D', 'E', 'F', 'G') THEN 'Mixed'
                WHEN a.ethnicity IN ('H', 'J', 'K', 'L') THEN 'Asian'
                WHEN a.ethnicity IN ('M', 'N', 'P') THEN 'Black'
                WHEN a.ethnicity IN ('R', 'S') THEN 'Other'
                ELSE 'unknown' END AS ethnic_group,
           coalesce(CAST((a.imd_decile + 1) / 2 AS VARCHAR), 'unknown') AS imd_quintile,
           CASE WHEN a.imd_decile IS NULL THEN 'unknown' WHEN a.imd_decile <= 2 THEN 'Core20' ELSE 'not Core20' END AS core20,
           a.received,
           CASE WHEN a.received = 1 AND a.status = 'declined' THEN 1 ELSE 0 END AS declined,
           CASE WHEN a.received = 1 AND a.status = 'accepted' THEN 1 ELSE 0 END AS accepted,
           CASE WHEN a.in_outcome_cohort = 1 AND a.status = 'accepted' THEN 1 ELSE 0 END AS outcome_accepted,
           CASE WHEN a.in_outcome_cohort = 1 AND a.status = 'accepted' AND c.referral_id IS NOT NULL THEN 1 ELSE 0 END AS completed
    FROM aged a LEFT JOIN completed c ON c.referral_id = a.referral_id
),
combos AS (
    -- Aggregate once per combination of groups, then spread over the five
    -- breakdowns: DataFusion inlines a CTE at every reference, so five
    -- UNION ALL branches over `flagged` would compute it five times.
    SELECT age_band, sex, ethnic_group, imd_quintile, core20,
           sum(received) AS received, sum(declined) AS declined, sum(accepted) AS accepted,
           sum(outcome_accepted) AS outcome_accepted, sum(completed) AS completed
    FROM flagged GROUP BY age_band, sex, ethnic_group, imd_quintile, core20
),
counts AS (
    SELECT b.breakdown,
           CASE b.breakdown WHEN 'age_band' THEN c.age_band WHEN 'sex' THEN c.sex
                WHEN 'ethnic_group' THEN c.ethnic_group WHEN 'imd_quintile' THEN c.imd_quintile
                ELSE c.core20 END AS grp,
           sum(c.received) AS referrals, sum(c.declined) AS declined, sum(c.accepted) AS accepted,
           sum(c.outcome_accepted) AS outcome_accepted, sum(c.completed) AS completed
    FROM combos c
    CROSS JOIN (VALUES ('age_band'), ('sex'), ('ethnic_group'), ('imd_quintile'), ('core20')) AS b(breakdown)
    GROUP BY 1, 2
),
population_long AS (
    SELECT 'age_band' AS breakdown, age_band AS grp, list_size FROM population
    UNION ALL SELECT 'sex', sex, list_size FROM population
    UNION ALL SELECT 'imd_quintile', coalesce(CAST(imd_quintile AS VARCHAR), 'unknown'), list_size FROM population
    UNION ALL SELECT 'core20', CASE WHEN imd_quintile IS NULL THEN 'unknown' WHEN imd_quintile = 1 THEN 'Core20' ELSE 'not Core20' END, list_size FROM population
    UNION ALL SELECT 'ethnic_group',
           CASE WHEN ethnicity IN ('A', 'B', 'C') THEN 'White'
                WHEN ethnicity IN ('D', 'E', 'F', 'G') THEN 'Mixed'
                WHEN ethnicity IN ('H', 'J', 'K', 'L') THEN 'Asian'
                WHEN ethnicity IN ('M', 'N', 'P') THEN 'Black'
                WHEN ethnicity IN ('R', 'S') THEN 'Other'
                ELSE 'unknown' END, 1
    FROM people
    WHERE coalesce(registration_start, DATE '1900-01-01') <= $period_start
      AND coalesce(registration_end, DATE '9999-12-31') > $period_start
      AND coalesce(date_of_death, DATE '9999-12-31') > $period_start
),
denominators AS (
    SELECT breakdown, grp, sum(list_size) AS population FROM population_long GROUP BY breakdown, grp
)
SELECT c.breakdown, c.grp AS "group", c.referrals, c.declined, c.accepted, c.outcome_accepted, c.completed, d.population
FROM counts c LEFT JOIN denominators d ON d.breakdown = c.breakdown AND d.grp = c.grp
ORDER BY c.breakdown, c.grp
