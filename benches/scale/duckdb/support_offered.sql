-- title: Support offered
-- definition: For accepted referrals received in each NHS financial-year quarter of the period: onward referrals per accepted referral, and how many were connected (at least one onward referral attended); and onward referrals by activity type.
-- population: Accepted referrals in the period by the quarter of their referral date, and their onward referrals whenever dated.
-- statistic: Counts per quarter and per activity type; shares with Wilson intervals in Rust.
-- caveats: Attendance is as recorded; unrecorded attendance counts as not connected.
WITH accepted AS (
    SELECT referral_id,
           CAST(date_part('year', referral_date - INTERVAL '3 months') AS BIGINT) AS fy,
           CAST((date_part('month', referral_date - INTERVAL '3 months') + 2) // 3 AS BIGINT) AS quarter
    FROM referrals
    WHERE status = 'accepted' AND referral_date >= $period_start AND referral_date <= $period_end
),
per_referral AS (
    SELECT a.fy, a.quarter, a.referral_id, count(o.referral_id) AS onward,
           max(CASE WHEN o.attended THEN 1 ELSE 0 END) AS connected
    FROM accepted a LEFT JOIN onward_referrals o ON o.referral_id = a.referral_id
    GROUP BY a.fy, a.quarter, a.referral_id
),
by_quarter AS (
    SELECT fy, quarter, 'all' AS activity_type, count(*) AS accepted, sum(onward) AS onward_referrals, sum(connected) AS connected
    FROM per_referral GROUP BY fy, quarter
),
by_activity AS (
    SELECT a.fy, a.quarter, coalesce(o.activity_type, 'not recorded') AS activity_type, count(DISTINCT a.referral_id) AS accepted,
           count(*) AS onward_referrals, sum(CASE WHEN o.attended THEN 1 ELSE 0 END) AS connected
    FROM accepted a JOIN onward_referrals o ON o.referral_id = a.referral_id
    GROUP BY a.fy, a.quarter, coalesce(o.activity_type, 'not recorded')
),
rows AS (
    SELECT * FROM by_quarter
    UNION ALL
    SELECT * FROM by_activity
)
SELECT fy, quarter, CAST(activity_type AS VARCHAR) AS activity_type, accepted, onward_referrals, connected
FROM rows
ORDER BY fy, quarter, activity_type
