-- title: Referrals received by month
-- definition: Referrals by calendar month of referral date, from the first month in the data to the end of the period, with the number declined.
-- population: All referrals received up to the end of the period.
-- statistic: Monthly counts for statistical process control (XmR) charts.
-- caveats: Months with no referrals do not appear; a partial first or last month is shown as recorded.
SELECT CAST(date_trunc('month', CAST(referral_date AS TIMESTAMP)) AS DATE) AS month,
       count(*) AS referred,
       sum(CASE WHEN status = 'declined' THEN 1 ELSE 0 END) AS declined
FROM referrals
WHERE referral_date <= $period_end
GROUP BY 1
ORDER BY 1
