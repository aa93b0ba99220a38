-- title: Referral outcomes by PCN
-- definition: For each PCN of the referred person's practice: referrals received in the period, how many were declined, how many accepted, and the link-worker contacts recorded on the accepted ones.
-- population: Referrals whose referral date falls in the period; people without a PCN are grouped as 'unknown'.
-- statistic: Counts per PCN: numerators and denominators for funnel plots (share declined; contacts per accepted referral).
-- caveats: Contacts are counted whenever recorded, including after the period ends.
WITH period_referrals AS (
    SELECT r.referral_id, r.status, coalesce(p.pcn_code, 'unknown') AS pcn_code
    FROM referrals r JOIN people p ON p.person_id = r.person_id
    WHERE r.referral_date >= $period_start AND r.referral_date <= $period_end
),
contact_counts AS (
    -- Every referral's contacts: cheaper than evaluating period_referrals a
    -- second time to pick the period's first (DataFusion evaluates a CTE
    -- again at every reference). The join below keeps the period's.
    SELECT referral_id, count(*) AS contacts FROM contacts GROUP BY referral_id
)
SELECT r.pcn_code,
       count(*) AS referred,
       sum(CASE WHEN r.status = 'declined' THEN 1 ELSE 0 END) AS declined,
       sum(CASE WHEN r.status = 'accepted' THEN 1 ELSE 0 END) AS accepted,
       sum(CASE WHEN r.status = 'accepted' THEN coalesce(c.contacts, 0) ELSE 0 END) AS contacts
FROM period_referrals r LEFT JOIN contact_counts c ON c.referral_id = r.referral_id
GROUP BY r.pcn_code
ORDER BY r.pcn_code
