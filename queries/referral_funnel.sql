-- title: Referrals in the outcome cohort, and those accepted
-- definition: Referrals in the outcome cohort for the period, and those of them with status accepted. The outcome cohort here is $outcome_cohort: with 'closed' (the default) it is the referrals whose episode closed in the period; with 'received', the referrals whose referral date falls in it.
-- population: All referrals in the warehouse.
-- statistic: Counts: the first two stages of the attrition funnel.
-- caveats: Referrals without a recorded status count as referred but not accepted. In the closed cohort, episodes with no closure date (still open) wait for a later period.
SELECT count(*) AS referred,
       sum(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS accepted
FROM referrals
WHERE CASE WHEN $outcome_cohort = 'closed' THEN closure_date ELSE referral_date END >= $period_start
  AND CASE WHEN $outcome_cohort = 'closed' THEN closure_date ELSE referral_date END <= $period_end
