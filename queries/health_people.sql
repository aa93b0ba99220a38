-- title: Impact on the health and care system: people, registration and referral history
-- definition: Every person in the warehouse with what the before/after windows and the matching need: birth month or recorded age band, sex, IMD decile, practice and PCN, registration start and end, date of death, and whether they were ever referred (any referral, any date) or ever had a referral accepted.
-- population: All people: those referred and the registered population that comparators are drawn from.
-- statistic: None in SQL: person-time at risk, event counts per window, matching and the estimates are computed in Rust (src/measures/health) because each comparator's windows are anchored on the date of the case it is matched to.
-- caveats: A person with no registration start is taken as registered from the first day of event data; one with no registration end or death as present to the extract end.
WITH referred AS (
    SELECT person_id, max(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS accepted
    FROM referrals
    GROUP BY person_id
)
SELECT p.person_id, p.birth_month, p.age_band, p.sex, p.imd_decile, p.practice_code, p.pcn_code,
       p.registration_start, p.registration_end, p.date_of_death,
       r.person_id IS NOT NULL AS ever_referred,
       coalesce(r.accepted, 0) = 1 AS ever_accepted
FROM people p
LEFT JOIN referred r ON r.person_id = p.person_id
ORDER BY p.person_id
