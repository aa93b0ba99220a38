-- title: Uptake and timeliness by quarter
-- definition: For referrals received in each NHS financial-year quarter of the period: how many were accepted, declined, did not attend or have no recorded status; days from referral to first contact and to first assessment; episode length from first contact to closure; contacts per accepted referral.
-- population: All referrals in the period, by the quarter of their referral date, and in the whole period.
-- statistic: Counts (shares with Wilson intervals in Rust); medians and 90th percentiles of days (continuous percentiles); mean contacts.
-- caveats: Days are computed where both dates are recorded and in order; impossible orders are counted by the data quality measures, not here.
WITH period_referrals AS (
    SELECT r.referral_id, r.status, r.referral_date, r.first_contact_date, r.closure_date,
           CAST(date_part('year', r.referral_date - INTERVAL '3 months') AS BIGINT) AS fy,
           CAST((date_part('month', r.referral_date - INTERVAL '3 months') + 2) / 3 AS BIGINT) AS quarter
    FROM referrals r
    WHERE r.referral_date >= $period_start AND r.referral_date <= $period_end
),
first_assessment AS (
    SELECT a.referral_id, min(a.assessment_date) AS first_date FROM assessments a
    WHERE a.referral_id IS NOT NULL GROUP BY a.referral_id
),
contact_counts AS (
    SELECT referral_id, count(*) AS contacts FROM contacts GROUP BY referral_id
),
episodes AS (
    SELECT r.*,
           CASE WHEN r.first_contact_date >= r.referral_date THEN r.first_contact_date - r.referral_date END AS days_to_contact,
           CASE WHEN f.first_date >= r.referral_date THEN f.first_date - r.referral_date END AS days_to_assessment,
           CASE WHEN r.closure_date >= r.first_contact_date THEN r.closure_date - r.first_contact_date END AS episode_days,
           coalesce(c.contacts, 0) AS contacts
    FROM period_referrals r
    LEFT JOIN first_assessment f ON f.referral_id = r.referral_id
    LEFT JOIN contact_counts c ON c.referral_id = r.referral_id
)
SELECT fy, quarter,
       count(*) AS referred,
       sum(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS accepted,
       sum(CASE WHEN status = 'declined' THEN 1 ELSE 0 END) AS declined,
       sum(CASE WHEN status = 'did_not_attend' THEN 1 ELSE 0 END) AS did_not_attend,
       sum(CASE WHEN status IS NULL THEN 1 ELSE 0 END) AS no_status,
       count(days_to_contact) AS with_first_contact,
       median(CAST(days_to_contact AS DOUBLE)) AS median_days_to_first_contact,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY CAST(days_to_contact AS DOUBLE)) AS p90_days_to_first_contact,
       count(days_to_assessment) AS with_assessment,
       median(CAST(days_to_assessment AS DOUBLE)) AS median_days_to_first_assessment,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY CAST(days_to_assessment AS DOUBLE)) AS p90_days_to_first_assessment,
       median(CAST(episode_days AS DOUBLE)) AS median_episode_days,
       avg(CASE WHEN status = 'accepted' THEN CAST(contacts AS DOUBLE) END) AS mean_contacts_per_accepted
FROM episodes
-- Each quarter, and (fy and quarter empty) the whole period: its medians
-- cannot be had from the quarters'.
GROUP BY GROUPING SETS ((fy, quarter), ())
ORDER BY fy NULLS LAST, quarter NULLS LAST
