-- title: Referrals received by quarter
-- definition: Referrals whose referral date falls in the period, by NHS financial-year quarter (Q1 April-June ... Q4 January-March) and by referral source, need, practice and PCN, with the registered population as denominator: the population extract, or, without one, the practice list sizes NHS England publishes (ingest --list-sizes) of the practices the people extract names, each counted in its people's PCN.
-- population: All referrals in the period; a referral belongs to the quarter of its referral date. Needs: a referral with several needs counts once under each.
-- statistic: Count; rate per 1,000 registered population (the practice's or PCN's list size; all practices' for source and need) per quarter, not annualised.
-- caveats: The population table is one snapshot of list sizes; rates are blank where no population is supplied. Published list sizes count everyone registered, so a people extract that covers only some of a practice's patients still gets its whole list.
WITH period_referrals AS (
    SELECT r.referral_id, r.referral_source, p.practice_code, coalesce(p.pcn_code, 'unknown') AS pcn_code,
           CAST(date_part('year', r.referral_date - INTERVAL '3 months') AS BIGINT) AS fy,
           CAST((date_part('month', r.referral_date - INTERVAL '3 months') + 2) / 3 AS BIGINT) AS quarter
    FROM referrals r JOIN people p ON p.person_id = r.person_id
    WHERE r.referral_date >= $period_start AND r.referral_date <= $period_end
),
counts AS (
    -- One pass over the period's referrals for every breakdown but needs
    -- (DataFusion evaluates a CTE again at every reference).
    SELECT fy, quarter,
           CASE WHEN grouping(referral_source) = 0 THEN 'referral_source'
                WHEN grouping(practice_code) = 0 THEN 'practice_code'
                WHEN grouping(pcn_code) = 0 THEN 'pcn_code'
                ELSE 'all' END AS breakdown,
           CASE WHEN grouping(referral_source) = 0 THEN referral_source
                WHEN grouping(practice_code) = 0 THEN practice_code
                WHEN grouping(pcn_code) = 0 THEN pcn_code
                ELSE 'all' END AS grp,
           count(*) AS referrals
    FROM period_referrals
    GROUP BY GROUPING SETS ((fy, quarter), (fy, quarter, referral_source), (fy, quarter, practice_code), (fy, quarter, pcn_code))
    UNION ALL
    SELECT r.fy, r.quarter, 'need' AS breakdown, n.need AS grp, count(*) AS referrals FROM period_referrals r JOIN referral_needs n ON n.referral_id = r.referral_id GROUP BY r.fy, r.quarter, n.need
),
-- The registered lists: the population extract, else the published list
-- sizes of the practices the people extract names.
people_practices AS (
    SELECT practice_code, max(pcn_code) AS pcn_code FROM people GROUP BY practice_code
),
registered AS (
    SELECT practice_code, pcn_code, list_size FROM population
    UNION ALL
    SELECT l.practice_code, pp.pcn_code, l.list_size
    FROM practice_list_sizes l JOIN people_practices pp ON pp.practice_code = l.practice_code
    WHERE (SELECT count(*) FROM population) = 0
),
list_sizes AS (
    SELECT 'practice_code' AS breakdown, practice_code AS grp, sum(list_size) AS population FROM registered GROUP BY practice_code
    UNION ALL
    SELECT 'pcn_code' AS breakdown, coalesce(pcn_code, 'unknown') AS grp, sum(list_size) AS population FROM registered GROUP BY coalesce(pcn_code, 'unknown')
),
total AS (SELECT sum(list_size) AS population FROM registered)
SELECT c.fy, c.quarter, c.breakdown, c.grp AS "group", c.referrals,
       CASE WHEN c.breakdown IN ('practice_code', 'pcn_code') THEN l.population ELSE t.population END AS population
FROM counts c
LEFT JOIN list_sizes l ON l.breakdown = c.breakdown AND l.grp = c.grp
CROSS JOIN total t
ORDER BY c.fy, c.quarter, c.breakdown, c.grp
