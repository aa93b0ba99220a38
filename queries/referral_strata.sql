-- title: Referrals by practice and PCN, age band, sex and IMD quintile, against the registered list
-- definition: For each GP practice and each PCN, age band (at referral), sex and IMD quintile: referrals received in the period by people registered with it, and its registered list in that age band, sex and quintile (the population table). A unit and stratum with referrals but no list, or a list but no referrals, is still a row; a quintile not known is 'unknown'.
-- population: Referrals whose referral date falls in the period, by the referred person's practice and PCN (as service_referrals counts them); the registered population as supplied, by its practice and PCN.
-- statistic: Counts per stratum. In Rust: strata by age band and sex (quintiles added up), or by IMD quintile too when standardised by deprivation; the reference rate in each stratum (the scheme's own, its practices' rows summed, or a supplied reference population's), and each practice's and PCN's expected referrals at those rates, Σ list × rate (indirect standardisation), with the exact Poisson interval of its observed referrals (Byar's from 10) over them.
-- caveats: Age bands as in the equity measure (from the year and month of birth, else the recorded band). A referral whose age band or sex is unknown counts in its practice's and PCN's observed referrals but in no stratum's rate, so where many are unknown every ratio is a little high.
WITH aged AS (
    SELECT p.practice_code, coalesce(p.pcn_code, 'unknown') AS pcn_code, coalesce(p.sex, 'unknown') AS sex,
           coalesce(CAST((p.imd_decile + 1) / 2 AS VARCHAR), 'unknown') AS imd_quintile,
           p.age_band AS recorded_band,
           date_part('year', r.referral_date) - date_part('year', p.birth_month)
             - CASE WHEN date_part('month', r.referral_date) < date_part('month', p.birth_month) THEN 1 ELSE 0 END AS age
    FROM referrals r JOIN people p ON p.person_id = r.person_id
    WHERE r.referral_date >= $period_start AND r.referral_date <= $period_end
),
banded AS (
    SELECT practice_code, pcn_code, sex, imd_quintile,
           CASE
               WHEN age IS NULL THEN coalesce(recorded_band, 'unknown')
               WHEN age < 18 THEN '0-17'
               WHEN age < 25 THEN '18-24'
               WHEN age < 35 THEN '25-34'
               WHEN age < 45 THEN '35-44'
               WHEN age < 55 THEN '45-54'
               WHEN age < 65 THEN '55-64'
               WHEN age < 75 THEN '65-74'
               WHEN age < 85 THEN '75-84'
               ELSE '85+'
           END AS age_band
    FROM aged
),
referred AS (
    -- Practices and PCNs in one pass over the period's referrals (DataFusion
    -- evaluates a CTE again at every reference).
    SELECT CASE WHEN grouping(practice_code) = 0 THEN 'practice' ELSE 'pcn' END AS level,
           CASE WHEN grouping(practice_code) = 0 THEN practice_code ELSE pcn_code END AS unit,
           age_band, sex, imd_quintile, count(*) AS referrals
    FROM banded
    GROUP BY GROUPING SETS ((practice_code, age_band, sex, imd_quintile), (pcn_code, age_band, sex, imd_quintile))
),
registered AS (
    SELECT 'practice' AS level, practice_code AS unit, age_band, sex,
           coalesce(CAST(imd_quintile AS VARCHAR), 'unknown') AS imd_quintile, sum(list_size) AS population
    FROM population GROUP BY 2, 3, 4, 5
    UNION ALL
    SELECT 'pcn' AS level, coalesce(pcn_code, 'unknown') AS unit, age_band, sex,
           coalesce(CAST(imd_quintile AS VARCHAR), 'unknown') AS imd_quintile, sum(list_size) AS population
    FROM population GROUP BY 2, 3, 4, 5
)
SELECT coalesce(g.level, f.level) AS level,
       coalesce(g.unit, f.unit) AS unit,
       coalesce(g.age_band, f.age_band) AS age_band,
       coalesce(g.sex, f.sex) AS sex,
       coalesce(g.imd_quintile, f.imd_quintile) AS imd_quintile,
       coalesce(f.referrals, 0) AS referrals,
       g.population
FROM registered g
FULL OUTER JOIN referred f
  ON f.level = g.level AND f.unit = g.unit AND f.age_band = g.age_band AND f.sex = g.sex
 AND f.imd_quintile = g.imd_quintile
ORDER BY 1, 2, 3, 4, 5
