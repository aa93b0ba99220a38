-- title: Referrals received by month and PCN
-- definition: Referrals by calendar month of referral date and by the PCN of the referred person's practice, up to the end of the period.
-- population: All referrals received up to the end of the period; people without a PCN are grouped as 'unknown'.
-- statistic: Monthly counts per PCN, for one statistical process control (XmR) chart per PCN in the benchmarking report.
-- caveats: A PCN's months with no referrals, within the months of the whole scheme's chart, count as 0.
SELECT coalesce(p.pcn_code, 'unknown') AS pcn_code,
       CAST(date_trunc('month', CAST(r.referral_date AS TIMESTAMP)) AS DATE) AS month,
       count(*) AS referred
FROM referrals r JOIN people p ON p.person_id = r.person_id
WHERE r.referral_date <= $period_end
GROUP BY 1, 2
ORDER BY 1, 2
