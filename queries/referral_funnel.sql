-- title: Referrals received and accepted
-- definition: Referrals whose referral date falls in the period, and those of them with status accepted.
-- population: All referrals in the warehouse.
-- statistic: Counts: the first two stages of the attrition funnel.
-- caveats: Referrals without a recorded status count as referred but not accepted.
SELECT count(*) AS referred,
       sum(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS accepted
FROM referrals
WHERE referral_date >= $period_start AND referral_date <= $period_end
