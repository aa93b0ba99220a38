-- title: Impact on community groups: organisations receiving referrals
-- definition: For each organisation that received at least one onward referral dated in the period: onward referrals and people referred, how many attended at least once, whether the group started in the period (a new group) and whether the period holds its first onward referral ever (newly appearing).
-- population: Onward referrals whose onward_referral_date falls in the period, joined to organisations.
-- statistic: Counts per organisation; summaries (organisations receiving referrals, referrals per organisation, new and newly appearing groups) in Rust.
-- caveats: Organisations are as the scheme records them; the same group under two ids counts twice.
WITH in_period AS (
    SELECT o.organisation_id, o.referral_id, o.attended, o.activity_type, r.person_id
    FROM onward_referrals o JOIN referrals r ON r.referral_id = o.referral_id
    WHERE o.onward_referral_date >= $period_start AND o.onward_referral_date <= $period_end
),
first_ever AS (
    SELECT organisation_id, min(onward_referral_date) AS first_date FROM onward_referrals GROUP BY organisation_id
)
SELECT p.organisation_id,
       g.name,
       g.category,
       count(*) AS onward_referrals,
       count(DISTINCT p.person_id) AS people,
       sum(CASE WHEN p.attended THEN 1 ELSE 0 END) AS attended,
       sum(CASE WHEN p.attended IS NULL THEN 1 ELSE 0 END) AS attendance_unknown,
       CASE WHEN g.start_date >= $period_start AND g.start_date <= $period_end THEN 1 ELSE 0 END AS new_group,
       CASE WHEN f.first_date >= $period_start THEN 1 ELSE 0 END AS newly_appearing
FROM in_period p
JOIN organisations g ON g.organisation_id = p.organisation_id
JOIN first_ever f ON f.organisation_id = p.organisation_id
GROUP BY p.organisation_id, g.name, g.category, g.start_date, f.first_date
ORDER BY onward_referrals DESC, p.organisation_id
