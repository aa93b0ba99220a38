-- title: Impact on the health and care system: index referrals
-- definition: Referrals received in the period that were accepted (the referred cohort) or declined (a comparison pool). A person's first accepted referral in the period is their index; people with no accepted referral ever and a declined one in the period are indexed on their first declined referral. The index date is the referral date; the index day belongs to neither window.
-- population: Referrals whose referral_date falls in the period with status accepted or declined.
-- statistic: None in SQL: events and person-time before and after each index date are counted in Rust.
-- caveats: Referrals with no status, and those not attended, are in neither group.
SELECT referral_id, person_id, referral_date, status
FROM referrals
WHERE referral_date >= $period_start AND referral_date <= $period_end
  AND status IN ('accepted', 'declined')
ORDER BY person_id, referral_date, referral_id
