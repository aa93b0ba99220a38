-- title: Link-worker caseload
-- definition: For each link worker: referrals received in the period and those accepted; the caseload is accepted referrals per year (accepted × 365 / days in the period), compared in Rust with NHS England's guide of 200-250 people a year.
-- population: Referrals in the period; referrals without a link worker are grouped as 'not recorded'.
-- statistic: Counts and an annualised caseload per link worker.
-- caveats: Part-time and vacant posts are not known to sprout; a short period annualises few referrals.
SELECT coalesce(link_worker_id, 'not recorded') AS link_worker_id,
       count(*) AS referrals,
       sum(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS accepted,
       count(DISTINCT person_id) AS people
FROM referrals
WHERE referral_date >= $period_start AND referral_date <= $period_end
GROUP BY coalesce(link_worker_id, 'not recorded')
ORDER BY 1
