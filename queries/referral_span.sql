-- title: Referrals in the period, and the dates all referrals span
-- definition: How many referrals have a referral_date in the period, and the first and last referral_date in the warehouse.
-- population: All referrals in the warehouse, whatever their status.
-- statistic: Count; earliest and latest date. The first referral starts the trend: quarters before it are left out of referrals_trend and wellbeing_change_trend. A period with no referral in it is named in a warning with the dates the referrals do span.
-- caveats: One row even when there are no referrals (a count of 0 and no dates).
SELECT count(*) FILTER (WHERE referral_date >= $period_start AND referral_date <= $period_end) AS in_period,
       min(referral_date) AS first_referral,
       max(referral_date) AS last_referral
FROM referrals
